import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  browserConditions,
  bundleForBrowser,
  publishedPackages,
  resolveTarget,
  workspaceRoot,
} from '../src/bundle.js';

const packages = publishedPackages();
const appRoot = fileURLToPath(new URL('..', import.meta.url));

describe('every published package bundles for the browser with no node: import', () => {
  it('finds the published packages', () => {
    expect(packages.map((p) => p.pkg.name).sort()).toEqual(
      expect.arrayContaining([
        '@gflow/backend',
        '@gflow/core',
        '@gflow/diagnostics',
        '@gflow/landscape',
        '@gflow/models',
      ]),
    );
  });

  for (const { pkg } of packages) {
    for (const [subpath, target] of Object.entries(pkg.exports ?? {}).filter(
      ([s]) => s !== './package.json',
    )) {
      const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      if (resolveTarget(target, browserConditions) === undefined) {
        // A Node-only entry (e.g. file I/O): exported under `node` alone, so a browser bundle
        // refuses it by name instead of pulling in node: modules.
        it(`${spec} is Node-only: no browser target, a node one`, async () => {
          expect(resolveTarget(target, ['node', 'import'])).toBeDefined();
          await expect(bundleForBrowser(`export * from '${spec}';`, workspaceRoot)).rejects.toThrow(
            /exports no .* for the browser/,
          );
        });
        continue;
      }
      it(`${spec} (esbuild, platform 'browser')`, async () => {
        // A build error (e.g. 'Could not resolve "node:os"') rejects, and names the file.
        const b = await bundleForBrowser(`export * from '${spec}';`, workspaceRoot);
        expect(b.nodeImports).toEqual([]);
        expect(b.code.length).toBeGreaterThan(0);
        // The package's own Node-only modules stay out of the browser graph.
        expect(b.inputs.filter((i) => /node-host|wasm-threads\.ts/.test(i))).toEqual([]);
      });
    }
  }

  it('the browser condition is what a bundler takes, and Node takes the node/import entry', () => {
    const exp = {
      types: './dist/index.d.ts',
      browser: './dist/index.browser.js',
      node: './dist/index.js',
      import: './dist/index.js',
    };
    expect(resolveTarget(exp, ['browser', 'import', 'module'])).toBe('./dist/index.browser.js');
    expect(resolveTarget(exp, ['node', 'import'])).toBe('./dist/index.js');
  });

  it('a node: import in the graph fails the bundle with its name', async () => {
    await expect(
      bundleForBrowser(`import os from 'node:os'; export const n = os.cpus();`, workspaceRoot),
    ).rejects.toThrow(/node:os/);
  });
});

describe('a bundle of the sources for Node (a plain src mapping, as the demo bundles its worker)', () => {
  it('still installs the Node host: initBackend starts wasm in the bundled script', async () => {
    // esbuild matches src files against the package's dist `sideEffects` list, finds none, and
    // drops bare imports; the entry installs its host by name so that it survives.
    const dir = mkdtempSync(path.join(appRoot, '.tmp-bundle-'));
    try {
      const out = path.join(dir, 'out.mjs');
      await esbuild.build({
        stdin: {
          contents:
            "import { initBackend } from '@gflow/backend'; const i = await initBackend({ prefer: 'wasm' }); console.log(JSON.stringify({ name: i.name, tried: i.tried.map((t) => t.name) }));",
          resolveDir: appRoot,
          loader: 'ts',
        },
        outfile: out,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
        plugins: [
          {
            name: 'plain-src-mapping',
            setup(b) {
              // `@gflow/<pkg>[/<sub>]` → the source behind that entry of the package's `exports`
              // (./dist/X.js → src/X.ts): `@gflow/core/internal/tfjs` as well as `@gflow/core`.
              b.onResolve({ filter: /^@gflow\// }, (args) => {
                const [, pkg, sub] = /^@gflow\/([a-z-]+)(\/.+)?$/.exec(args.path) ?? [];
                const dir = path.join(workspaceRoot, 'packages', pkg as string);
                const exportsMap = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
                  .exports as Record<string, unknown>;
                const pick = (e: unknown): string | undefined => {
                  if (typeof e === 'string') return e;
                  if (e && typeof e === 'object')
                    for (const c of ['node', 'import', 'default']) {
                      const t = pick((e as Record<string, unknown>)[c]);
                      if (t) return t;
                    }
                  return undefined;
                };
                const target = pick(exportsMap[`.${sub ?? ''}`]);
                if (!target) return { errors: [{ text: `${args.path}: no such entry in ${pkg}'s exports` }] };
                return {
                  path: path.join(dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
                };
              });
              b.onResolve({ filter: /^@tensorflow\// }, (args) => ({ path: args.path, external: true }));
            },
          },
        ],
        banner: {
          js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);",
        },
      });
      const r = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
        name: 'wasm',
        tried: ['wasm'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

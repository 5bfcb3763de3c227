/**
 * Builds the `gflow` command from its TypeScript sources into one runnable folder, for tests that
 * start real `gflow` processes (tests run on sources: nothing is compiled before `pnpm test`).
 * esbuild bundles the demo and the `@gflow/*` sources; npm dependencies stay external and resolve
 * from `apps/demo/node_modules`, which is why the folder is made inside `apps/demo`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const demoRoot = fileURLToPath(new URL('../../', import.meta.url));
const repoRoot = join(demoRoot, '..', '..');
const packages = ['core', 'backend', 'models', 'diagnostics', 'landscape'];

/** A bundled `gflow`: run `node <cli>`; `dispose()` removes the folder. */
export interface BundledCli {
  /** The entry to run with `node`. */
  readonly cli: string;
  /** Removes the folder. */
  dispose(): void;
}

/**
 * Bundles `src/cli.ts` and the sweep's pool worker (`src/sweep-worker.ts`) side by side.
 *
 * @returns The entry path and a cleanup function.
 */
export async function bundleCli(): Promise<BundledCli> {
  const base = join(demoRoot, '.test-build');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'cli-'));
  await build({
    entryPoints: {
      cli: join(demoRoot, 'src', 'cli.ts'),
      'sweep-worker': join(demoRoot, 'src', 'sweep-worker.ts'),
    },
    outdir: dir,
    outExtension: { '.js': '.js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    plugins: [
      {
        // `@gflow/<pkg>` → packages/<pkg>/src/index.ts, `@gflow/<pkg>/<sub>` → …/src/<sub>/index.ts
        // (as vitest.config.ts resolves them); every other package import stays external: npm
        // packages load their own files (wasm binaries, worker entries, Lua scripts).
        name: 'gflow-sources',
        setup(b) {
          b.onResolve({ filter: /^@gflow\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
            const [, pkg, sub] = /^@gflow\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(args.path) as RegExpExecArray;
            if (!packages.includes(pkg as string)) return undefined;
            return {
              path: join(repoRoot, 'packages', pkg as string, 'src', ...(sub ? [sub] : []), 'index.ts'),
            };
          });
          // External: the demo's own dependencies (they resolve from apps/demo/node_modules) and
          // tfjs (one copy, its wasm files beside it). The packages' other dependencies (ml-matrix,
          // …) do not resolve from apps/demo, so they are bundled.
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('@gflow/') || args.path.startsWith('node:')) return undefined;
            const fromDemo = args.importer.startsWith(join(demoRoot, 'src'));
            return fromDemo || args.path.startsWith('@tensorflow/')
              ? { path: args.path, external: true }
              : undefined;
          });
        },
      },
    ],
    // Bundled CommonJS inside an ES module needs a `require`.
    banner: {
      js: "import { createRequire as __gflowCreateRequire } from 'node:module'; const require = __gflowCreateRequire(import.meta.url);",
    },
  });
  return { cli: join(dir, 'cli.js'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

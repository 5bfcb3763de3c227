/**
 * Builds the `gflow` command from its TypeScript sources into one runnable folder, for tests that
 * start real `gflow` processes (tests run on sources: nothing is compiled before `pnpm test`).
 * esbuild bundles the demo and the `@gflow/*` sources; npm dependencies stay external and resolve
 * from `apps/demo/node_modules`, which is why the folder is made inside `apps/demo`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const demoRoot = fileURLToPath(new URL('../../', import.meta.url));
const repoRoot = join(demoRoot, '..', '..');
const packages = ['core', 'backend', 'models', 'diagnostics', 'landscape'];

/** A package `exports` value: a path, or conditions mapping to more of them. */
type ExportTarget = string | { readonly [condition: string]: ExportTarget } | undefined;

/** The path Node would load: the `node`, then `import`, then `default` condition. */
function pickNode(e: ExportTarget): string | undefined {
  if (e === undefined || typeof e === 'string') return e;
  for (const c of ['node', 'import', 'default']) {
    const t = pickNode(e[c]);
    if (t) return t;
  }
  return undefined;
}

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
        // `@gflow/<pkg>[/<sub>]` → the source file behind that entry of the package's `exports`
        // (./dist/X.js → src/X.ts), as vitest.config.ts resolves them.
        name: 'gflow-sources',
        setup(b) {
          b.onResolve({ filter: /^@gflow\// }, (args) => {
            const [, pkg, sub] = /^@gflow\/([a-z-]+)(\/.+)?$/.exec(args.path) ?? [];
            if (!pkg || !packages.includes(pkg)) return undefined;
            const dir = join(repoRoot, 'packages', pkg);
            const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
              exports: Record<string, ExportTarget>;
            };
            const target = pickNode(manifest.exports[`.${sub ?? ''}`]);
            if (!target)
              return { errors: [{ text: `${args.path} is not an entry of ${pkg}'s package exports` }] };
            return { path: join(dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')) };
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

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
    alias: Object.fromEntries([
      // A subpath first: esbuild would otherwise map `@gflow/models/node` to `…/index.ts/node`.
      ['@gflow/models/node', join(repoRoot, 'packages', 'models', 'src', 'node', 'index.ts')],
      ...packages.map((p) => [`@gflow/${p}`, join(repoRoot, 'packages', p, 'src', 'index.ts')]),
    ]),
    // npm packages load their own files (wasm binaries, worker entries, Lua scripts): keep them
    // external. Bundled CommonJS inside an ES module needs a `require`.
    external: [
      '@tensorflow/*',
      'bullmq',
      'ioredis',
      'tinypool',
      'proper-lockfile',
      'commander',
      'cli-progress',
      'vega',
      'vega-lite',
    ],
    banner: {
      js: "import { createRequire as __gflowCreateRequire } from 'node:module'; const require = __gflowCreateRequire(import.meta.url);",
    },
  });
  return { cli: join(dir, 'cli.js'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

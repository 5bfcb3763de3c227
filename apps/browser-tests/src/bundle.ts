import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** The workspace root (this file is apps/browser-tests/src/bundle.ts). */
export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));

type ExportTarget = string | { readonly [condition: string]: ExportTarget };

interface PackageJson {
  readonly name: string;
  readonly private?: boolean;
  readonly sideEffects?: boolean | readonly string[];
  readonly exports?: { readonly [subpath: string]: ExportTarget };
}

/** A workspace package: its folder and its package.json. */
export interface WorkspacePackage {
  readonly dir: string;
  readonly pkg: PackageJson;
}

/** The published packages (packages/*, not private). */
export function publishedPackages(): WorkspacePackage[] {
  const root = path.join(workspaceRoot, 'packages');
  return readdirSync(root)
    .map((d) => path.join(root, d))
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson,
    }))
    .filter((e) => e.pkg.private !== true);
}

/** Resolves an `exports` target under the given conditions, in the order the map lists them (as Node and bundlers do). */
export function resolveTarget(
  target: ExportTarget | undefined,
  conditions: readonly string[],
): string | undefined {
  if (target === undefined || typeof target === 'string') return target;
  for (const [condition, sub] of Object.entries(target)) {
    if (condition === 'default' || conditions.includes(condition)) {
      const r = resolveTarget(sub, conditions);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** The conditions esbuild applies for `platform: 'browser'`, ESM (`types` is for TypeScript only). */
export const browserConditions = ['browser', 'import', 'module'] as const;

/**
 * An esbuild plugin that resolves `@gflow/<pkg>[/<subpath>]` as a bundler resolves the published
 * package (its `exports` under the browser conditions), but to the TypeScript source of the file
 * the export names (`dist/x.js` → `src/x.ts`), so that no build is needed. A subpath or condition
 * that the exports do not provide fails the build, as it would for a user.
 */
export function workspaceSources(): esbuild.Plugin {
  const byName = new Map(publishedPackages().map((p) => [p.pkg.name, p]));
  return {
    name: 'gflow-workspace-sources',
    setup(build) {
      build.onResolve({ filter: /^@gflow\// }, (args) => {
        const [scope, name, ...rest] = args.path.split('/');
        const entry = byName.get(`${scope}/${name}`);
        if (entry === undefined) return undefined;
        const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
        const target = resolveTarget(entry.pkg.exports?.[subpath], browserConditions);
        if (target === undefined) {
          return { errors: [{ text: `${args.path}: package.json exports no "${subpath}" for the browser` }] };
        }
        const source = path.join(entry.dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
        if (!existsSync(source)) {
          return {
            errors: [{ text: `${args.path}: exports "${target}", whose source ${source} does not exist` }],
          };
        }
        return { path: source };
      });
      // A source file has side effects exactly when the dist file it compiles to is listed in
      // the package's `sideEffects` (esbuild would otherwise match the src path against dist
      // patterns and drop bare imports such as `import './register-gradients.js'`).
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if ((args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
        const entry = [...byName.values()].find((p) =>
          args.importer.startsWith(path.join(p.dir, 'src') + path.sep),
        );
        if (entry === undefined) return undefined;
        const r = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { inner: true },
        });
        if (r.errors.length > 0) return { errors: r.errors };
        const list = entry.pkg.sideEffects;
        const dist = `./${path
          .relative(entry.dir, r.path)
          .replace(/^src\//, 'dist/')
          .replace(/\.ts$/, '.js')}`;
        const sideEffects =
          list === undefined || list === true || (Array.isArray(list) && list.includes(dist));
        return { path: r.path, sideEffects };
      });
    },
  };
}

/** What {@link bundleForBrowser} produced. */
export interface BrowserBundle {
  readonly code: string;
  /** Every input file (paths relative to the workspace root), and every `node:` module asked for. */
  readonly inputs: readonly string[];
  readonly nodeImports: readonly string[];
}

/**
 * Bundles `contents` (ESM source, resolved from `resolveDir`) for `platform: 'browser'`, with the
 * workspace packages from source through their browser exports. A `node:` import fails the build
 * (esbuild cannot resolve it for the browser), and is also collected from the metafile in case a
 * future esbuild marks it external instead.
 */
export async function bundleForBrowser(contents: string, resolveDir: string): Promise<BrowserBundle> {
  const r = await esbuild.build({
    stdin: { contents, resolveDir, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: workspaceRoot,
    plugins: [workspaceSources()],
  });
  const inputs = Object.keys(r.metafile.inputs);
  const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((im) => im.path));
  const nodeImports = [...inputs, ...imports].filter((p) => p.startsWith('node:'));
  return { code: r.outputFiles[0]!.text, inputs, nodeImports };
}

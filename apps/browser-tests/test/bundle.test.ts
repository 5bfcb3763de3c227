import { describe, expect, it } from 'vitest';
import { bundleForBrowser, publishedPackages, resolveTarget, workspaceRoot } from '../src/bundle.js';

const packages = publishedPackages();

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
    for (const subpath of Object.keys(pkg.exports ?? {}).filter((s) => s !== './package.json')) {
      const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
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

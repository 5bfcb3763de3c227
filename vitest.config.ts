import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One project per package, named after it. Workspace packages resolve to their TypeScript
// sources, so `pnpm test` needs no build step.
const packages = ['core', 'backend', 'models', 'diagnostics', 'landscape'] as const;
// Subpath entries (`@gflow/models/node`) come first: an alias also matches `<name>/…`.
const alias = [
  {
    find: '@gflow/models/node',
    replacement: fileURLToPath(new URL('./packages/models/src/node/index.ts', import.meta.url)),
  },
  ...packages.map((p) => ({
    find: `@gflow/${p}`,
    replacement: fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url)),
  })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    // Slow tests carry "[slow]" in their name and run only with GFLOW_SLOW=1 (pnpm test:slow).
    ...(process.env.GFLOW_SLOW ? {} : { testNamePattern: '^(?!.*\\[slow\\])' }),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      ...packages.map((p) => ({
        extends: true as const,
        test: { name: p, root: `packages/${p}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      })),
      {
        extends: true as const,
        test: { name: 'demo', root: 'apps/demo', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: {
          name: 'browser',
          root: 'apps/browser-tests',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        extends: true as const,
        test: {
          name: 'playground',
          root: 'apps/playground',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
    ],
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One project per package, named after it. Workspace packages resolve to their TypeScript
// sources, so `pnpm test` needs no build step.
const packages = ['core', 'backend', 'models', 'diagnostics', 'landscape'] as const;
const src = (file: string): string => fileURLToPath(new URL(`./packages/${file}`, import.meta.url));
// Exact matches, subpath entries first (`@gflow/core/internal`, `@gflow/models/node`, see the
// packages' `exports`).
const alias = [
  { find: /^@gflow\/core\/internal\/tfjs$/, replacement: src('core/src/internal/tfjs.ts') },
  { find: /^@gflow\/core\/internal$/, replacement: src('core/src/internal/index.ts') },
  { find: /^@gflow\/models\/node$/, replacement: src('models/src/node/index.ts') },
  // Test-only entry: fixtures shared between packages' tests (never built or published).
  { find: /^@gflow\/models\/test$/, replacement: src('models/src/test-utils/index.ts') },
  ...packages.map((p) => ({ find: new RegExp(`^@gflow/${p}$`), replacement: src(`${p}/src/index.ts`) })),
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
    ],
  },
});

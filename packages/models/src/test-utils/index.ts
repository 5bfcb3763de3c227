/**
 * `@gflow/models/test`: test fixtures that other packages' tests share (the family table, the
 * finite-difference gradient check, seeded normal tensors). A test-only entry: it resolves to
 * these sources through the root `vitest.config.ts` and `tsconfig.test.json`, and is never built
 * or published.
 */
export { type Family, families } from './families.js';
export { type GradMismatch, gradCheck, seededNormal } from './gradcheck.js';

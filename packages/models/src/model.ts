import type { Module } from './module.js';

/**
 * A {@link Module} built by this package: it owns its variables (and any constant tensors) and
 * frees them with `dispose()`.
 *
 * @example
 * ```ts
 * const model = plainMLP({ depth: 4, width: 16, inputSize: 8 });
 * // ... use it ...
 * model.dispose();
 * ```
 */
export interface Model extends Module {
  /** Frees every variable and constant tensor the model owns. Calling it twice is harmless. */
  dispose(): void;
}

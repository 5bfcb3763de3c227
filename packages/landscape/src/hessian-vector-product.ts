import { readOptions } from '@gflow/core/internal';
import { HessianOperator } from './internal/hessian-operator.js';
import { assertFiniteVector, flatFrom, toParameterVector } from './internal/params.js';
import type { HvpOptions, Objective, ParameterVector, ParamsLike, VectorLike } from './types.js';

/** The result of {@link hessianVectorProduct}. */
export interface HessianVectorProductResult {
  /** `H v`, shaped like the parameters. */
  readonly product: ParameterVector;
  /** How it was computed. */
  readonly mode: 'exact' | 'finite-difference';
  /** Why that mode: `'requested'`, or what `'auto'` found. */
  readonly modeReason: string;
}

/**
 * The Hessian of the loss times a vector, `H v = ∇_θ (∇_θ L · v)`, without forming H (Pearlmutter
 * 1994).
 *
 * `mode: 'exact'` differentiates twice (the gradient of `∇L · v`, one forward and two backward
 * passes); `'finite-difference'` takes `(∇L(θ + h v̂) − ∇L(θ − h v̂)) ‖v‖ / 2h` with
 * `h = eps · max(1, ‖θ‖)`; `'auto'` (default) uses exact products when the engine passes
 * {@link checkSecondOrderGradients} and the model's operations differentiate twice, else finite
 * differences. Parameters are left bit-identical in every mode. With a {@link BatchedObjective}
 * the product is the mean over the batches.
 *
 * @param lossFn - The loss at the current parameter values, or `{ loss(batch), batches }`.
 * @param params - The parameters (a `Module` or a list of `Parameter`s).
 * @param v - The vector, shaped like the parameters (or flat, in their order).
 * @param options - `mode` and the finite-difference step `eps` (default `1e-3`).
 * @returns The product as plain data, and the mode used.
 * @throws ShapeError (from `@gflow/core`) when `v` does not match the parameters.
 * @throws NonFiniteError (from `@gflow/core`) when the product is not finite.
 * @throws UnsupportedError (from `@gflow/core`) when `mode: 'exact'` was asked for and the engine lacks a second-order gradient.
 * @example
 * ```ts
 * const v = randomDirection(model, { normalization: 'none' });
 * const { product, mode } = hessianVectorProduct(lossFn, model, v, { mode: 'exact' });
 * ```
 * @see Pearlmutter 1994, "Fast exact multiplication by the Hessian".
 */
export function hessianVectorProduct<B>(
  lossFn: Objective<B>,
  params: ParamsLike,
  v: VectorLike,
  options: HvpOptions = {},
): HessianVectorProductResult {
  const fn = 'hessianVectorProduct';
  readOptions(fn, options);
  const op = new HessianOperator(fn, lossFn as Objective<unknown>, params, options);
  try {
    const flat = flatFrom(fn, 'v', op.layout, v);
    assertFiniteVector(fn, 'v', op.layout, flat);
    const out = op.matvec(flat);
    return { product: toParameterVector(op.layout, out), mode: op.mode, modeReason: op.reason };
  } finally {
    op.dispose();
  }
}

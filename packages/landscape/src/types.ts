import type { Module, Parameter } from '@gflow/models';
import type * as tf from '@tensorflow/tfjs';

/**
 * The parameters a landscape function moves: a `Module` (its `parameters()` are used) or a list of
 * `Parameter`s. Each parameter's `variable` is read, temporarily overwritten and restored.
 */
export type ParamsLike = Module | readonly Parameter[];

/** A loss evaluated at the current values of the parameters; returns a scalar tensor. */
export type LossFn = () => tf.Scalar;

/**
 * A loss over several batches of data. Every landscape quantity is the equally weighted mean over
 * `batches` of `loss(batch)` (losses, gradients and Hessian-vector products alike).
 *
 * `batches` is read once per call and kept for that call, so a one-shot iterator (a generator)
 * works; make batches of equal size, or fold the weights into `loss`, if the plain mean is not the
 * mean you want.
 */
export interface BatchedObjective<B> {
  /** The loss on one batch, a scalar tensor, at the current parameter values. */
  readonly loss: (batch: B) => tf.Scalar;
  /** The batches; at least one. */
  readonly batches: Iterable<B>;
}

/** What a landscape function evaluates: a {@link LossFn} on one batch, or a {@link BatchedObjective}. */
export type Objective<B = unknown> = LossFn | BatchedObjective<B>;

/** One parameter's slice of a vector in parameter space (a direction, a snapshot, a product). */
export interface ParameterValue {
  /** The parameter's name (informative: vectors are matched to parameters by position). */
  readonly name: string;
  /** The parameter's shape. */
  readonly shape: readonly number[];
  /** The values, row-major, as plain numbers (float64). */
  readonly values: readonly number[];
}

/**
 * A vector in parameter space, one entry per parameter in the parameters' order: a direction, a
 * snapshot of the weights, or a Hessian-vector product. Plain data: `JSON.stringify` keeps it whole.
 */
export type ParameterVector = readonly ParameterValue[];

/**
 * Anything accepted where a vector in parameter space is expected: a {@link ParameterVector} (or
 * any list of `{ values }` whose shapes match the parameters), a list of tensors shaped like the
 * parameters, or one flat array of all values in the parameters' order. Matching is by position;
 * shapes are checked.
 */
export type VectorLike = readonly VectorPart[] | readonly tf.Tensor[] | ArrayLike<number>;

/** One parameter's slice of a vector given as input; only `values` is required. */
export interface VectorPart {
  /** The parameter's name (informative; matching is by position). */
  readonly name?: string;
  /** The parameter's shape; checked when given. */
  readonly shape?: readonly number[];
  /** The values, row-major. */
  readonly values: ArrayLike<number>;
}

/** Progress of a long evaluation, reported after each point. */
export interface Progress {
  /** Points evaluated so far. */
  readonly done: number;
  /** Points in all. */
  readonly total: number;
}

/** A grid point whose loss was NaN or infinite (it is stored as `NaN` in the grid). */
export interface NonFinitePoint {
  /** Position along the first axis. */
  readonly index: number;
  /** Position along the second axis (planes only). */
  readonly index2?: number;
  /** The coordinate(s) of the point. */
  readonly coordinates: readonly number[];
  /** What the loss was: `'NaN'`, `'Infinity'` or `'-Infinity'`. */
  readonly value: 'NaN' | 'Infinity' | '-Infinity';
}

/** How Hessian-vector products are computed. */
export type HvpMode = 'exact' | 'finite-difference' | 'auto';

/** Options shared by every function that takes Hessian-vector products. */
export interface HvpOptions {
  /**
   * `'exact'`: double backpropagation, the gradient of `∇L · v` (needs correct second-order
   * gradients: `initBackend()` from `@gflow/backend` registers them). `'finite-difference'`:
   * `Hv ≈ (∇L(θ + hv̂) − ∇L(θ − hv̂)) ‖v‖ / 2h`, first derivatives only. `'auto'` (default): exact
   * products when the engine passes {@link checkSecondOrderGradients}; the first one is then
   * cross-checked against finite differences on the model itself (at steps h and h/2; when those
   * two agree with each other but not with the exact product, finite differences are used from
   * then on). A missing second-order gradient also falls back. The result's `mode` and
   * `modeReason` say what happened.
   */
  readonly mode?: HvpMode;
  /**
   * Relative step of finite differences: `h = eps · max(1, ‖θ‖)` (default `1e-3`).
   */
  readonly eps?: number;
}

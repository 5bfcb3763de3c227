import { describeValue, InvalidArgumentError, NonFiniteError, UnsupportedError } from '@gflow/core';
import { prefetchReads, type Reads, runReadsAsync, runReadsSync } from '@gflow/core/internal';
import { releaseFailedTape } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import { secondOrderReport } from '../second-order-check.js';
import type { HvpMode, HvpOptions, Objective, ParamsLike } from '../types.js';
import { evaluateReads, type Prepared, prepare, scalarLoss } from './objective.js';
import { type Layout, layoutOf, readFlatReads, SavedParameters, tensorsFrom } from './params.js';

/** The largest relative difference between the first exact product and finite differences that `'auto'` accepts. */
const AUTO_TOLERANCE = 0.05;

/** The largest relative difference between finite differences at steps h and h/2 for the cross-check to count. */
const FD_CONSISTENCY = 0.02;

function relativeDifference(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += Math.max((a[i] as number) ** 2, (b[i] as number) ** 2);
  }
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/** Whether tfjs failed for want of a (second-order) gradient rather than the loss failing. */
function isMissingGradient(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /gradient function not found|Cannot compute gradient|Cannot find a connection/i.test(message);
}

/**
 * Σ g ⊙ v with the gradient dy · v written out: tf.sum's own gradient first builds a host array
 * of ones the size of `g` and uploads it (24 ms of `mlp-hessian-top`'s 20 products, BENCHMARKS.md);
 * a matmul instead (`tf.dot`) cost XNNPACK more than it saved. Differentiated once only (the
 * outer gradient of a Hessian-vector product), so a custom gradient is exact here.
 */
function dotWith(g: tf.Tensor, v: tf.Tensor): tf.Scalar {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.sum(tf.mul(args[0] as tf.Tensor, v)) as tf.Scalar,
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, v),
  }));
  return f(g) as tf.Scalar;
}

/** How products were actually computed. */
export type UsedMode = 'exact' | 'finite-difference';

/**
 * The Hessian of an objective as a linear operator on flat float64 vectors (the parameters'
 * order), for the solvers of `@gflow/core`. Each `matvec` uploads `v` once and reads `Hv` back
 * once. Every read is written once as a {@link Reads} computation and run either synchronously
 * (`matvec`, `centerLoss`) or asynchronously (`matvecAsync`, `centerLossAsync`). With
 * `reads: 'async'` the constructor defers `'auto'`'s engine self-check to `await ready()`.
 * Call `dispose()` when done: it restores the parameters bit for bit.
 */
export class HessianOperator {
  readonly layout: Layout;
  readonly prepared: Prepared;
  private usedMode: UsedMode = 'exact';
  private why = '';
  private readonly requested: HvpMode;
  private readonly eps: number;
  private saved: SavedParameters | undefined;
  private thetaNorm: number | undefined;
  private products = 0;
  private verified = false;
  private autoPending = false;

  constructor(
    private readonly fn: string,
    objective: Objective<unknown>,
    params: ParamsLike,
    options: HvpOptions = {},
    reads: 'sync' | 'async' = 'sync',
  ) {
    const mode = options.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'exact' && mode !== 'finite-difference') {
      throw new InvalidArgumentError(
        `${fn}: options.mode must be 'exact', 'finite-difference' or 'auto', got ${describeValue(mode)}`,
      );
    }
    const eps = options.eps ?? 1e-3;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
      throw new InvalidArgumentError(
        `${fn}: options.eps must be a positive finite number, got ${describeValue(eps)}`,
      );
    }
    this.eps = eps;
    this.requested = mode;
    this.layout = layoutOf(fn, params);
    this.prepared = prepare(fn, objective);
    if (mode !== 'auto') {
      this.usedMode = mode;
      this.why = 'requested';
    } else if (reads === 'sync') {
      runReadsSync(this.chooseAuto());
    } else {
      this.autoPending = true;
    }
  }

  /** Runs the deferred self-check of `'auto'` (construction with `reads: 'async'`). */
  async ready(): Promise<void> {
    if (!this.autoPending) return;
    this.autoPending = false;
    await runReadsAsync(this.chooseAuto());
  }

  /** `'auto'`: exact products when the engine passes the second-derivative self-check. */
  private *chooseAuto(): Reads<void> {
    const report = yield* secondOrderReport(false);
    if (report.exactTrusted) {
      this.usedMode = 'exact';
      this.why = `auto: the engine (${report.backend}) passed the second-derivative self-check`;
    } else {
      const bad = report.probes.filter((p) => !p.ok).map((p) => p.name);
      this.usedMode = 'finite-difference';
      this.why = `auto: the engine (${report.backend}) differentiates ${bad.join(', ')} twice wrongly; call initBackend() from @gflow/backend to register corrected gradients`;
    }
  }

  /** The number of scalar parameters. */
  get dim(): number {
    return this.layout.total;
  }

  /** The mode in use (it can change from exact to finite differences at the first product in `'auto'`). */
  get mode(): UsedMode {
    return this.usedMode;
  }

  /** Why that mode is in use. */
  get reason(): string {
    return this.why;
  }

  /** Hessian-vector products computed so far. */
  get count(): number {
    return this.products;
  }

  /** `H v` for a flat float64 vector; throws NonFiniteError when the product is not finite. */
  matvec = (v: Float64Array): Float64Array => runReadsSync(this.matvecReads(v));

  /** {@link matvec} with an asynchronous read. */
  matvecAsync = (v: Float64Array): Promise<Float64Array> => runReadsAsync(this.matvecReads(v));

  private *matvecReads(v: Float64Array): Reads<Float64Array> {
    let out: Float64Array;
    try {
      out = yield* this.product(v);
    } catch (err) {
      releaseFailedTape(); // a loss that threw inside a gradient leaves the engine's tape behind
      throw err;
    }
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        throw new NonFiniteError(
          `${this.fn}: the Hessian-vector product must be finite, got ${out[i]} at flat index ${i} (${this.usedMode}); the loss or its gradient overflowed`,
        );
      }
    }
    return out;
  }

  /** The loss at the current parameters; throws NonFiniteError when it is not finite. */
  centerLoss(): number {
    return runReadsSync(this.centerLossReads());
  }

  /** {@link centerLoss} with an asynchronous read. */
  centerLossAsync(): Promise<number> {
    return runReadsAsync(this.centerLossReads());
  }

  private *centerLossReads(): Reads<number> {
    const value = yield* evaluateReads(this.fn, this.prepared, this.layout.hostRead);
    if (!Number.isFinite(value)) {
      throw new NonFiniteError(`${this.fn}: the loss at the current parameters must be finite, got ${value}`);
    }
    return value;
  }

  private *product(v: Float64Array): Reads<Float64Array> {
    this.products++;
    if (this.usedMode === 'exact') {
      let hv: Float64Array;
      try {
        hv = yield* this.exact(v);
      } catch (err) {
        releaseFailedTape();
        if (!isMissingGradient(err)) throw err; // the loss's own error, not the engine's
        if (this.requested !== 'auto') {
          throw new UnsupportedError(
            `${this.fn}: exact Hessian-vector products failed on this model (${err instanceof Error ? err.message : String(err)}); call initBackend() from @gflow/backend or use mode 'finite-difference'`,
            { cause: err },
          );
        }
        this.usedMode = 'finite-difference';
        this.why = `auto: double backpropagation failed (${err instanceof Error ? err.message : String(err)})`;
        return yield* this.finiteDifference(v);
      }
      if (this.requested === 'auto' && !this.verified) {
        this.verified = true;
        const verdict = yield* this.crossCheck(v, hv);
        if (verdict !== undefined) return verdict;
      }
      return hv;
    }
    return yield* this.finiteDifference(v);
  }

  /**
   * Never trust a double-backprop result that no finite difference checked: compares the first
   * exact product with central differences at steps h and h/2 on this very model. When the two
   * finite differences agree with each other (the model is smooth at this scale) but not with the
   * exact product, some operation differentiates twice wrongly: switch to finite differences and
   * return their product. When they do not agree with each other (ReLU kinks, max-pooling), the
   * check is inconclusive and the exact product, vouched for by the kernel self-check, is kept.
   */
  private *crossCheck(v: Float64Array, hv: Float64Array): Reads<Float64Array | undefined> {
    const coarse = yield* this.finiteDifference(v);
    const fine = yield* this.finiteDifference(v, 0.5);
    const selfConsistency = relativeDifference(coarse, fine);
    if (selfConsistency > FD_CONSISTENCY) {
      this.why += `; the finite-difference cross-check was inconclusive (steps h and h/2 differ by ${selfConsistency.toPrecision(3)}: the model is not smooth at this scale), exact products kept`;
      return undefined;
    }
    const rel = relativeDifference(hv, fine);
    if (rel > AUTO_TOLERANCE) {
      this.usedMode = 'finite-difference';
      this.why = `auto: exact and finite-difference products disagree on this model (relative difference ${rel.toPrecision(3)} > ${AUTO_TOLERANCE}); some operation differentiates twice wrongly (tf.logSoftmax and tf.losses.* are built with customGrad: use @gflow/backend's losses)`;
      return fine;
    }
    this.why += `; the first product matched finite differences (relative difference ${rel.toPrecision(3)})`;
    return undefined;
  }

  private *exact(v: Float64Array): Reads<Float64Array> {
    const { layout, prepared, fn } = this;
    yield* prefetchReads(layout.hostRead);
    const vars = layout.variables as tf.Variable[];
    const n = prepared.parts.length;
    const out = tf.tidy(() => {
      const vt = tensorsFrom(layout, v);
      let acc: tf.Tensor | undefined;
      for (const part of prepared.parts) {
        // a gradient that no parameter reaches (a loss linear in them) has a zero Hessian
        const grads = gradsOf(
          fn,
          () => {
            const inner = gradsOf(fn, () => scalarLoss(fn, part), vars);
            const terms: tf.Tensor[] = [];
            vars.forEach((x, i) => {
              const g = inner[x.name];
              if (g != null) terms.push(dotWith(g, vt[i] as tf.Tensor));
            });
            return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
          },
          vars,
          true,
        );
        const flat = tf.concat(
          vars.map((x, i) => {
            const g = grads[x.name];
            return g == null ? tf.zeros([layout.sizes[i] ?? 0]) : tf.reshape(g, [-1]);
          }),
        );
        acc = acc === undefined ? flat : tf.add(acc, flat);
      }
      return n > 1 ? tf.div(acc as tf.Tensor, n) : (acc as tf.Tensor);
    });
    return Float64Array.from(yield out);
  }

  /** The mean gradient over the batches at the current parameter values, flat, as a tensor. */
  private gradient(): tf.Tensor {
    const { layout, prepared, fn } = this;
    const vars = layout.variables as tf.Variable[];
    return tf.tidy(() => {
      let acc: tf.Tensor | undefined;
      for (const part of prepared.parts) {
        const grads = gradsOf(fn, () => scalarLoss(fn, part), vars);
        const flat = tf.concat(
          vars.map((x, i) => {
            const g = grads[x.name];
            return g == null ? tf.zeros([layout.sizes[i] ?? 0]) : tf.reshape(g, [-1]);
          }),
        );
        acc = acc === undefined ? flat : tf.add(acc, flat);
      }
      const n = prepared.parts.length;
      return n > 1 ? tf.div(acc as tf.Tensor, n) : (acc as tf.Tensor);
    });
  }

  private *finiteDifference(v: Float64Array, stepScale = 1): Reads<Float64Array> {
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += (v[i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) return new Float64Array(v.length);
    if (this.saved === undefined) this.saved = new SavedParameters(this.layout);
    if (this.thetaNorm === undefined) {
      const theta = yield* readFlatReads(this.layout);
      let s = 0;
      for (let i = 0; i < theta.length; i++) s += (theta[i] as number) ** 2;
      this.thetaNorm = Math.sqrt(s);
    }
    const h = stepScale * this.eps * Math.max(1, this.thetaNorm);
    const saved = this.saved;
    const dir = tensorsFrom(
      this.layout,
      v.map((x) => x / norm),
    );
    let plus: tf.Tensor | undefined;
    let minus: tf.Tensor | undefined;
    try {
      // the moved values are on the engine only: the async driver brings the host-read ones back
      saved.moveTo([dir], [h]);
      yield* prefetchReads(this.layout.hostRead);
      plus = this.gradient();
      saved.moveTo([dir], [-h]);
      yield* prefetchReads(this.layout.hostRead);
      minus = this.gradient();
    } catch (err) {
      plus?.dispose();
      throw err;
    } finally {
      saved.restore();
      for (const d of dir) d.dispose();
    }
    const p = plus;
    const m = minus;
    const out = tf.tidy(() => tf.mul(tf.sub(p, m), norm / (2 * h)));
    p.dispose();
    m.dispose();
    return Float64Array.from(yield out);
  }

  /** Restores the parameters (bit for bit) and frees what the operator kept. */
  dispose(): void {
    this.saved?.dispose();
    this.saved = undefined;
  }
}

const NO_CONNECTION = /Cannot find a connection between any variable and the result/;

/**
 * `tf.variableGrads(f, vars).grads`, with tfjs's assertion that some variable reaches `f` turned
 * into an `InvalidArgumentError` naming `fn` (the loss does not depend on the parameters), or,
 * with `zeroIfUnconnected`, into no gradients at all (read as zeros by the caller).
 */
function gradsOf(
  fn: string,
  f: () => tf.Scalar,
  vars: tf.Variable[],
  zeroIfUnconnected = false,
): tf.NamedTensorMap {
  try {
    return tf.variableGrads(f, vars).grads;
  } catch (err) {
    if (!(err instanceof Error) || !NO_CONNECTION.test(err.message)) throw err;
    if (zeroIfUnconnected) return {};
    throw new InvalidArgumentError(
      `${fn}: the loss does not depend on the parameters (no gradient reaches any of them)`,
    );
  }
}

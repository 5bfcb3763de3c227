import * as tf from '@tensorflow/tfjs';
import { deriveSeed, Rng } from './rng.js';

/** Validated regularizer rates of a recurrent model (all 0: none). */
export interface RecurrentRegularizers {
  /** Recurrent dropout p ∈ [0, 1): one mask per sequence on h_{t−1} where it enters the recurrence. */
  readonly recurrentDropout: number;
  /** Zoneout p ∈ [0, 1] of h (and of every state but c for LSTM). */
  readonly zoneout: number;
  /** Zoneout p ∈ [0, 1] of LSTM's cell state c. */
  readonly zoneoutCell: number;
  /** Temporal dropout p ∈ [0, 1): a fresh mask on h_t at every step. */
  readonly temporalDropout: number;
  /** Seed of the masks. */
  readonly maskSeed: number;
}

/** No regularization. */
export const noRegularizers: RecurrentRegularizers = {
  recurrentDropout: 0,
  zoneout: 0,
  zoneoutCell: 0,
  temporalDropout: 0,
  maskSeed: 0,
};

/** Inverted-dropout values: 0 with probability p, 1/(1 − p) otherwise. */
function dropoutMask(rng: Rng, n: number, p: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) out[i] = rng.uniform() < p ? 0 : keep;
  return out;
}

/** Bernoulli(p) as bools (1: keep the previous value). */
function zoneMask(rng: Rng, n: number, p: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform() < p ? 1 : 0;
  return out;
}

/**
 * What the regularizers do to one layer over one sequence. Masks are drawn on the host from the
 * package's seeded generator: the recurrent dropout mask once, the zoneout and temporal dropout
 * masks at every step, in that order, so a seed fixes all of them.
 */
export class LayerRegularizer {
  private readonly recurrentMask: tf.Tensor2D | undefined;

  constructor(
    private readonly r: RecurrentRegularizers,
    private readonly training: boolean,
    private readonly rng: Rng,
    private readonly batch: number,
    private readonly hidden: number,
  ) {
    this.recurrentMask =
      training && r.recurrentDropout > 0
        ? tf.tensor2d(dropoutMask(rng, batch * hidden, r.recurrentDropout), [batch, hidden])
        : undefined;
  }

  /** h_{t−1} as the recurrent matrix sees it: m ⊙ h_{t−1} with the sequence's mask, or undefined (h_{t−1} itself). */
  recurrentInput(h: tf.Tensor2D): tf.Tensor2D | undefined {
    return this.recurrentMask ? (tf.mul(h, this.recurrentMask) as tf.Tensor2D) : undefined;
  }

  /** Zoneout of every state tensor, then temporal dropout of h. */
  update(prev: readonly tf.Tensor2D[], next: tf.Tensor2D[]): tf.Tensor2D[] {
    const shape: [number, number] = [this.batch, this.hidden];
    const out = next.map((s, i) => {
      const p = i === 0 ? this.r.zoneout : this.r.zoneoutCell;
      const before = prev[i] as tf.Tensor2D;
      if (p === 0) return s;
      if (!this.training) {
        // the expectation over the mask: p·s_{t−1} + (1 − p)·s̃_t
        return tf.add(tf.mul(before, p), tf.mul(s, 1 - p)) as tf.Tensor2D;
      }
      const keep = tf.tensor2d(zoneMask(this.rng, this.batch * this.hidden, p), shape, 'bool');
      return tf.where(keep, before, s) as tf.Tensor2D;
    });
    if (this.training && this.r.temporalDropout > 0) {
      const d = tf.tensor2d(dropoutMask(this.rng, this.batch * this.hidden, this.r.temporalDropout), shape);
      out[0] = tf.mul(out[0] as tf.Tensor2D, d);
    }
    return out;
  }
}

/**
 * The regularizers of a recurrent stack across calls: each training-mode call draws new masks
 * (call k of layer l from the seed derived from `maskSeed`, k and l), so runs are reproducible and
 * successive training steps see different masks; inference draws none.
 */
export class StackRegularizers {
  private calls = 0;

  constructor(private readonly r: RecurrentRegularizers) {}

  /** Whether anything happens in this mode. */
  private active(training: boolean): boolean {
    const r = this.r;
    if (training)
      return r.recurrentDropout > 0 || r.zoneout > 0 || r.zoneoutCell > 0 || r.temporalDropout > 0;
    return r.zoneout > 0 || r.zoneoutCell > 0;
  }

  /** The per-layer regularizer factory of one call, or undefined when nothing applies. */
  forCall(
    training: boolean,
  ): ((layer: number, batch: number, hidden: number) => LayerRegularizer) | undefined {
    if (!this.active(training)) return undefined;
    const call = training ? this.calls++ : 0;
    return (layer, batch, hidden) =>
      new LayerRegularizer(
        this.r,
        training,
        new Rng(deriveSeed(this.r.maskSeed, `masks.${call}.layers.${layer}`)),
        batch,
        hidden,
      );
  }
}

import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import { type InitSpec, initialize } from '../initializers.js';
import { ProjectedCell } from '../internal/projected-cell.js';
import { deriveSeed } from '../internal/rng.js';
import { checkInt, checkNumber, checkOptions } from '../internal/validate.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { modRelu, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** Options of {@link kroneckerRNN}. */
export interface KroneckerRNNOptions extends RecurrentOptions {
  /** Factor sizes [p, q] with p·q = hiddenSize (default: p the largest divisor ≤ √hiddenSize). */
  readonly factors?: readonly [number, number];
  /** Gain g of each factor's orthogonal initialization; W's singular values start at g² (default 1). */
  readonly factorGain?: number;
  /** Activation: `'modRelu'` or any registry name (default `'tanh'`). */
  readonly activation?: ActivationSpec | 'modRelu';
}

/** A Kronecker recurrent model: the factors and a soft orthogonality penalty. */
export interface KroneckerRNNModel extends RecurrentModel {
  /**
   * The soft orthogonality penalty Σ_l ‖AᵀA − I‖²_F + ‖BᵀB − I‖²_F (a scalar tensor, the caller's
   * to dispose); add λ times it to the loss to keep the spectrum of A ⊗ B near the unit circle.
   */
  orthogonalityPenalty(): tf.Scalar;
  /** The factors [A, B] of a layer (tensors, the caller's to dispose). */
  factors(layer?: number): [tf.Tensor2D, tf.Tensor2D];
}

/** A ⊗ B via broadcasting: (A ⊗ B)[i·q + k, j·q + l] = A[i, j]·B[k, l]. @internal */
export function kron(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [p, p2] = a.shape;
  const [q, q2] = b.shape;
  const prod = tf.mul(tf.reshape(a, [p, 1, p2, 1]), tf.reshape(b, [1, q, 1, q2]));
  return tf.reshape(prod, [p * q, p2 * q2]);
}

class KroneckerCell extends ProjectedCell {
  readonly a: tf.Variable;
  readonly b: tf.Variable;
  private readonly modBias: tf.Variable | undefined;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    [p, q]: readonly [number, number],
    gain: number,
    init: InitSpec,
    private readonly act: ResolvedActivation | undefined,
    seed: number,
  ) {
    super(prefix, inputSize, hiddenSize, 1, init, seed);
    const nm = (s: string): string => `${prefix}.${s}`;
    const og = { name: 'orthogonal', gain } as const;
    this.a = this.addParam(
      nm('recurrent.a'),
      initialize(og, [p, p], { seed: deriveSeed(seed, nm('recurrent.a')) }),
      [p, p],
      'recurrent',
    ).variable;
    this.b = this.addParam(
      nm('recurrent.b'),
      initialize(og, [q, q], { seed: deriveSeed(seed, nm('recurrent.b')) }),
      [q, q],
      'recurrent',
    ).variable;
    this.modBias = act
      ? undefined
      : this.addParam(nm('modrelu.bias'), new Float32Array(hiddenSize), [hiddenSize], 'bias').variable;
  }

  override prepare(): tf.Tensor2D {
    return kron(this.a as tf.Tensor2D, this.b as tf.Tensor2D);
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], w: tf.Tensor | undefined, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const z = tf.add(u, tf.matMul(hIn ?? (h as tf.Tensor2D), w as tf.Tensor2D));
    return [(this.act ? this.act.fn(z) : modRelu(z, this.modBias as tf.Tensor)) as tf.Tensor2D];
  }

  recurrentMatrix(): tf.Tensor2D {
    return this.prepare();
  }

  penalty(): tf.Scalar {
    const dev = (m: tf.Tensor2D): tf.Scalar =>
      tf.sum(tf.square(tf.sub(tf.matMul(m, m, true, false), tf.eye(m.shape[0]))));
    return tf.add(dev(this.a as tf.Tensor2D), dev(this.b as tf.Tensor2D));
  }
}

class KroneckerStack extends RecurrentStack implements KroneckerRNNModel {
  constructor(
    fn: string,
    r: ReturnType<typeof resolveRecurrent>,
    make: (l: number, i: number, p: string) => KroneckerCell,
    private readonly kcells: KroneckerCell[] = [],
  ) {
    super(fn, r, (l, i, p) => {
      const c = make(l, i, p);
      kcells.push(c);
      return c;
    });
  }

  orthogonalityPenalty(): tf.Scalar {
    return tf.tidy(() => tf.addN(this.kcells.map((c) => c.penalty())) as tf.Scalar);
  }

  factors(layer = 0): [tf.Tensor2D, tf.Tensor2D] {
    const c = this.kcells[layer];
    if (!c) {
      throw new InvalidArgumentError(
        `kroneckerRNN.factors: layer must be in [0, ${this.layers - 1}], got ${layer}`,
      );
    }
    return [tf.clone(c.a) as tf.Tensor2D, tf.clone(c.b) as tf.Tensor2D];
  }
}

/**
 * A Kronecker-factored recurrent network (Jose, Cissé and Fleuret 2018): h_t = φ(x_t U + h_{t−1} W + b)
 * with W = A ⊗ B, A ∈ ℝ^{p×p}, B ∈ ℝ^{q×q}, p·q = H. The spectrum is controlled through the
 * factors: σ(A ⊗ B) = {σ_i(A)·σ_j(B)}, the factors start orthogonal times `factorGain`, and
 * `orthogonalityPenalty()` is the soft constraint that keeps them near orthogonal. Parameters drop
 * from H² to p² + q².
 *
 * Taps `h.init`, `h.<t>`; parameters `layers.<l>.input.kernel`, `layers.<l>.bias`,
 * `layers.<l>.recurrent.a`, `layers.<l>.recurrent.b` (role `'recurrent'`), `layers.<l>.modrelu.bias`,
 * `readout.*`.
 *
 * @param options - See {@link KroneckerRNNOptions}.
 * @returns The model.
 * @throws InvalidArgumentError (from `@gflow/core`) when the factors do not multiply to hiddenSize, for
 *   sizes of 0 or unknown names, before any tensor is allocated.
 * @example
 * ```ts
 * const rnn = kroneckerRNN({ inputSize: 2, hiddenSize: 64, factors: [8, 8] });
 * ```
 * @see Jose, Cissé and Fleuret 2018, "Kronecker Recurrent Units".
 */
export function kroneckerRNN(options: KroneckerRNNOptions): KroneckerRNNModel {
  checkOptions('kroneckerRNN', options);
  const fn = 'kroneckerRNN';
  const r = resolveRecurrent(fn, options);
  let factors: [number, number];
  if (options.factors === undefined) {
    let p = Math.floor(Math.sqrt(r.hiddenSize));
    while (r.hiddenSize % p !== 0) p--;
    factors = [p, r.hiddenSize / p];
  } else {
    const p = checkInt(fn, 'options.factors[0]', options.factors[0]);
    const q = checkInt(fn, 'options.factors[1]', options.factors[1]);
    if (p * q !== r.hiddenSize) {
      throw new InvalidArgumentError(
        `${fn}: options.factors must multiply to hiddenSize (${r.hiddenSize}), got [${p}, ${q}]`,
      );
    }
    factors = [p, q];
  }
  const gain = checkNumber(fn, 'options.factorGain', options.factorGain ?? 1);
  const a = options.activation ?? 'tanh';
  const act = a === 'modRelu' ? undefined : resolveActivation(a, fn, 'options.activation');
  return new KroneckerStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new KroneckerCell(prefix, inSize, r.hiddenSize, factors, gain, options.init ?? 'xavier', act, r.seed),
  );
}

import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { initialize } from '../initializers.js';
import { deriveSeed, Rng } from '../internal/rng.js';
import { checkOptions } from '../internal/validate.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { Cell, RecurrentStack, resolveRecurrent } from './rnn-core.js';

type C = readonly [tf.Tensor2D, tf.Tensor2D];

class UnitaryCell extends Cell {
  readonly projectedSize: number;
  private readonly units: number;
  private readonly inputKernel: tf.Variable;
  private readonly phases: tf.Variable;
  private readonly reflections: tf.Variable;
  private readonly modBias: tf.Variable;
  private readonly cos: tf.Tensor2D;
  private readonly sin: tf.Tensor2D;
  private readonly perm: tf.Tensor1D;

  constructor(prefix: string, inputSize: number, hiddenSize: number, seed: number) {
    super(prefix, inputSize, hiddenSize);
    const N = hiddenSize / 2;
    this.units = N;
    this.projectedSize = hiddenSize;
    const nm = (s: string): string => `${prefix}.${s}`;
    this.inputKernel = this.addParam(
      nm('input.kernel'),
      initialize('xavier', [inputSize, 2 * N], { seed: deriveSeed(seed, nm('input.kernel')), fanOut: N }),
      [inputSize, 2 * N],
      'kernel',
    ).variable;
    const rng = new Rng(deriveSeed(seed, nm('recurrent')));
    const ph = new Float32Array(3 * N).map(() => Math.PI * (2 * rng.uniform() - 1));
    this.phases = this.addParam(nm('recurrent.phases'), ph, [3, N], 'recurrent').variable;
    const rf = new Float32Array(4 * N).map(() => 2 * rng.uniform() - 1);
    this.reflections = this.addParam(nm('recurrent.reflections'), rf, [2, 2 * N], 'recurrent').variable;
    this.modBias = this.addParam(nm('modrelu.bias'), new Float32Array(N), [N], 'bias').variable;
    const c = new Float32Array(N * N);
    const s = new Float32Array(N * N);
    const scale = 1 / Math.sqrt(N);
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < N; k++) {
        const a = (2 * Math.PI * ((j * k) % N)) / N;
        c[j * N + k] = Math.cos(a) * scale;
        s[j * N + k] = Math.sin(a) * scale;
      }
    }
    this.cos = this.own(tf.tensor2d(c, [N, N]));
    this.sin = this.own(tf.tensor2d(s, [N, N]));
    this.perm = this.own(tf.tensor1d(rng.permutation(N), 'int32'));
  }

  private diag([re, im]: C, k: number): C {
    const th = tf.squeeze(tf.slice(this.phases, [k, 0], [1, this.units]), [0]);
    const c = tf.cos(th);
    const s = tf.sin(th);
    return [tf.sub(tf.mul(re, c), tf.mul(im, s)), tf.add(tf.mul(re, s), tf.mul(im, c))];
  }

  /** Unitary DFT F (inverse = false) or F⁻¹ (true), on rows. */
  private fourier([re, im]: C, inverse: boolean): C {
    const rc = tf.matMul(re, this.cos);
    const rs = tf.matMul(re, this.sin);
    const ic = tf.matMul(im, this.cos);
    const is = tf.matMul(im, this.sin);
    return inverse ? [tf.sub(rc, is), tf.add(ic, rs)] : [tf.add(rc, is), tf.sub(ic, rs)];
  }

  /** Complex reflection z ← z − 2v(v*z)/‖v‖². */
  private reflect([re, im]: C, k: number): C {
    const N = this.units;
    const v = tf.slice(this.reflections, [k, 0], [1, 2 * N]) as tf.Tensor2D;
    const vr = tf.slice(v, [0, 0], [1, N]) as tf.Tensor2D;
    const vi = tf.slice(v, [0, N], [1, N]) as tf.Tensor2D;
    const norm2 = tf.sum(tf.square(v));
    // a = v*z = Σ (vr − i vi)(zr + i zi)
    const ar = tf.add(tf.matMul(re, vr, false, true), tf.matMul(im, vi, false, true)); // [B, 1]
    const ai = tf.sub(tf.matMul(im, vr, false, true), tf.matMul(re, vi, false, true));
    const f = tf.div(2, norm2);
    // v·a = (vr ar − vi ai) + i (vr ai + vi ar)
    const pr = tf.sub(tf.matMul(ar, vr), tf.matMul(ai, vi));
    const pi = tf.add(tf.matMul(ai, vr), tf.matMul(ar, vi));
    return [tf.sub(re, tf.mul(pr, f)), tf.sub(im, tf.mul(pi, f))];
  }

  private permute([re, im]: C): C {
    return [tf.gather(re, this.perm, 1), tf.gather(im, this.perm, 1)];
  }

  /** W z = D₃R₂F⁻¹D₂ΠR₁FD₁ z, on the rows of [re | im]. */
  private unitary(h: tf.Tensor2D): tf.Tensor2D {
    const N = this.units;
    let z: C = [tf.slice(h, [0, 0], [-1, N]), tf.slice(h, [0, N], [-1, N])];
    z = this.diag(z, 0);
    z = this.fourier(z, false);
    z = this.reflect(z, 0);
    z = this.permute(z);
    z = this.diag(z, 1);
    z = this.fourier(z, true);
    z = this.reflect(z, 1);
    z = this.diag(z, 2);
    return tf.concat([z[0], z[1]], 1);
  }

  project(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, this.inputKernel as tf.Tensor2D);
  }

  /**
   * The real 2N×2N matrix of W (row convention), composed from its factors once per sequence: the
   * DFT is a dense product anyway, so per-step application would cost the same O(N²) and many
   * more kernel launches.
   */
  override prepare(): tf.Tensor2D {
    return this.unitary(tf.eye(2 * this.units));
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], w: tf.Tensor | undefined, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const N = this.units;
    const z = tf.add(tf.matMul(hIn ?? (h as tf.Tensor2D), w as tf.Tensor2D), u);
    const zr = tf.slice(z, [0, 0], [-1, N]);
    const zi = tf.slice(z, [0, N], [-1, N]);
    // complex modReLU: relu(|z| + b)·z/|z|
    const mag = tf.sqrt(tf.add(tf.add(tf.square(zr), tf.square(zi)), 1e-12));
    const scale = tf.div(tf.relu(tf.add(mag, this.modBias)), mag);
    return [tf.concat([tf.mul(zr, scale), tf.mul(zi, scale)], 1) as tf.Tensor2D];
  }

  recurrentMatrix(): tf.Tensor2D {
    return this.unitary(tf.eye(2 * this.units));
  }
}

/**
 * The unitary evolution RNN of Arjovsky, Shah and Bengio 2016: h_t = modReLU(W h_{t−1} + V x_t)
 * with the unitary W = D₃R₂F⁻¹D₂ΠR₁FD₁ (D diagonal phases e^{iθ}, R complex Householder
 * reflections, F the unitary DFT, Π a fixed permutation), so ‖W h‖ = ‖h‖ and the gradient through
 * the linear part is norm-preserving. Everything runs in real arithmetic on [re | im] halves (the
 * DFT as products with its cos/sin matrices), so it works on engines without complex64.
 * modReLU(z) = relu(|z| + b)·z/|z|, b starting at 0.
 *
 * Taps `h.init`, `h.<t>` (the [batch, 2N] state [re | im]); parameters `layers.<l>.input.kernel`
 * ([in, 2N]), `layers.<l>.recurrent.phases` ([3, N]), `layers.<l>.recurrent.reflections` ([2, 2N]),
 * `layers.<l>.modrelu.bias` ([N]), `readout.*` (reading [re | im]).
 *
 * @param options - See {@link RecurrentOptions}; `hiddenSize` = 2N must be even.
 * @returns The model; `recurrentMatrix(l)` returns the real 2N×2N form [[Re, Im], [−Im, Re]] of W (row convention).
 * @throws InvalidArgumentError (from `@gflow/core`) for an odd or zero hidden size, before any tensor is allocated.
 * @example
 * ```ts
 * const rnn = unitaryRNN({ inputSize: 10, hiddenSize: 128, outputSize: 9, returnSequences: true });
 * ```
 * @see Arjovsky, Shah and Bengio 2016, "Unitary Evolution Recurrent Neural Networks".
 */
export function unitaryRNN(options: RecurrentOptions): RecurrentModel {
  checkOptions('unitaryRNN', options);
  const fn = 'unitaryRNN';
  const r = resolveRecurrent(fn, options);
  if (r.hiddenSize % 2 !== 0) {
    throw new InvalidArgumentError(
      `${fn}: options.hiddenSize must be even (real and imaginary halves of the complex state), got ${r.hiddenSize}`,
    );
  }
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) => new UnitaryCell(prefix, inSize, r.hiddenSize, r.seed),
  );
}

import * as tf from '@tensorflow/tfjs';
import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import { type InitSpec, initialize } from '../initializers.js';
import { ProjectedCell } from '../internal/projected-cell.js';
import { deriveSeed, Rng } from '../internal/rng.js';
import { checkInt, checkOneOf, checkOptions, checkParameterCount } from '../internal/validate.js';
import { cayleyMapOfSkew } from '../orthogonal/cayley-map.js';
import { householderProduct } from '../orthogonal/householder-product.js';
import { matrixExpOfSkew } from '../orthogonal/matrix-exp.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';
import { modRelu, RecurrentStack, resolveRecurrent } from './rnn-core.js';

/** How the orthogonal recurrent matrix is parametrized. */
export type OrthogonalParametrization = 'householder' | 'cayley' | 'exp';

/** Options of {@link orthogonalRNN}. */
export interface OrthogonalRNNOptions extends RecurrentOptions {
  /** Parametrization of W (default `'exp'`). */
  readonly parametrization?: OrthogonalParametrization;
  /** Number of Householder reflections k (default hiddenSize; `'householder'` only). */
  readonly reflections?: number;
  /** Activation: `'modRelu'` (default; sign(z)·relu(|z| + b), bias starting at 0) or any registry name. */
  readonly activation?: ActivationSpec | 'modRelu';
}

/**
 * Skew-symmetric initial parameter P (A = P − Pᵀ): 2×2 blocks [[0, s], [−s, 0]] whose rotation
 * angles θ are uniform — the "Henaff" initialization of Lezcano-Casado and Martínez-Rubio 2019.
 * exp: s = θ ~ U(−π, π); Cayley ((I+A)⁻¹(I−A) rotates by −2·atan(s)): s = tan(θ/2), θ ~ U(−π/2, π/2).
 */
function skewInit(n: number, p: OrthogonalParametrization, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * n);
  for (let j = 0; j + 1 < n; j += 2) {
    const s =
      p === 'exp' ? Math.PI * (2 * rng.uniform() - 1) : Math.tan((Math.PI / 4) * (2 * rng.uniform() - 1));
    out[j * n + j + 1] = s;
  }
  return out;
}

class OrthogonalCell extends ProjectedCell {
  private readonly generator: tf.Variable;
  private readonly modBias: tf.Variable | undefined;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    init: InitSpec,
    private readonly param: OrthogonalParametrization,
    reflections: number,
    private readonly act: ResolvedActivation | undefined,
    seed: number,
  ) {
    super(prefix, inputSize, hiddenSize, 1, init, seed);
    const n = hiddenSize;
    const nm = (s: string): string => `${prefix}.${s}`;
    if (param === 'householder') {
      this.generator = this.addParam(
        nm('recurrent.reflections'),
        initialize({ name: 'normal', variance: 1 }, [reflections, n], {
          seed: deriveSeed(seed, nm('recurrent')),
        }),
        [reflections, n],
        'recurrent',
        true,
      ).variable;
    } else {
      this.generator = this.addParam(
        nm('recurrent.skew'),
        skewInit(n, param, deriveSeed(seed, nm('recurrent'))),
        [n, n],
        'recurrent',
        true,
      ).variable;
    }
    this.modBias = act
      ? undefined
      : this.addParam(nm('modrelu.bias'), new Float32Array(n), [n], 'bias').variable;
  }

  override prepare(): tf.Tensor2D {
    // Each reads the generator variable itself (A = P − Pᵀ is formed on the host in float64): a
    // caller that awaited its values (prefetchParameters) makes no synchronous engine read here.
    const g = this.generator as tf.Tensor2D;
    if (this.param === 'householder') return householderProduct(g);
    return this.param === 'cayley' ? cayleyMapOfSkew(g) : matrixExpOfSkew(g);
  }

  step(u: tf.Tensor2D, [h]: tf.Tensor2D[], w: tf.Tensor | undefined, hIn?: tf.Tensor2D): tf.Tensor2D[] {
    const z = tf.add(u, tf.matMul(hIn ?? (h as tf.Tensor2D), w as tf.Tensor2D));
    return [(this.act ? this.act.fn(z) : modRelu(z, this.modBias as tf.Tensor)) as tf.Tensor2D];
  }

  recurrentMatrix(): tf.Tensor2D {
    return this.prepare();
  }
}

/**
 * An orthogonal recurrent network, h_t = φ(x_t U + h_{t−1} W + b), whose W stays exactly orthogonal
 * through training because it is a function of unconstrained parameters:
 * `'householder'`: W = H₁⋯H_k (Mhammedi et al. 2017); `'cayley'`: W = (I + A)⁻¹(I − A); `'exp'`:
 * W = exp(A) (Lezcano-Casado and Martínez-Rubio 2019), with A = P − Pᵀ skew-symmetric. Since
 * ‖hW‖ = ‖h‖, the linear part of backpropagation through time neither vanishes nor explodes:
 * with modReLU (bias 0) ‖∂h_T/∂h_0‖ = 1 exactly for any T.
 *
 * Taps `h.init`, `h.<t>` (`layers.<l>.h.<t>` when stacked); parameters `layers.<l>.input.kernel`,
 * `layers.<l>.bias`, `layers.<l>.recurrent.reflections` ([k, H]) or `layers.<l>.recurrent.skew`
 * ([H, H], role `'recurrent'`), `layers.<l>.modrelu.bias`, `readout.*`.
 *
 * @param options - See {@link OrthogonalRNNOptions}.
 * @returns The model; `recurrentMatrix(l)` returns the current W.
 * @throws InvalidArgumentError (from `@gflow/core`) for sizes of 0, an unknown parametrization or
 *   activation, before any tensor is allocated.
 * @example
 * ```ts
 * const rnn = orthogonalRNN({ inputSize: 10, hiddenSize: 64, parametrization: 'exp', outputSize: 9, returnSequences: true });
 * ```
 * @see Mhammedi et al. 2017; Lezcano-Casado and Martínez-Rubio 2019, "Cheap Orthogonal Constraints in Neural Networks"; Helfrich et al. 2018.
 */
export function orthogonalRNN(options: OrthogonalRNNOptions): RecurrentModel {
  checkOptions('orthogonalRNN', options);
  const fn = 'orthogonalRNN';
  const r = resolveRecurrent(fn, options);
  const param = checkOneOf(fn, 'options.parametrization', options.parametrization ?? 'exp', [
    'householder',
    'cayley',
    'exp',
  ] as const);
  const k = checkInt(fn, 'options.reflections', options.reflections ?? r.hiddenSize);
  checkParameterCount(fn, r.layers * k * r.hiddenSize);
  const a = options.activation ?? 'modRelu';
  const act = a === 'modRelu' ? undefined : resolveActivation(a, fn, 'options.activation');
  return new RecurrentStack(
    fn,
    r,
    (_l, inSize, prefix) =>
      new OrthogonalCell(prefix, inSize, r.hiddenSize, options.init ?? 'xavier', param, k, act, r.seed),
  );
}

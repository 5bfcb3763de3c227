import { type Reads, readOptions, runReadsSync } from '@gflow/core/internal';
import { backwardSaveMode, releaseFailedTape } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';

/** One probe of {@link checkSecondOrderGradients}. */
export interface SecondOrderProbe {
  /** What was differentiated twice, e.g. `'tanh'` or `'conv2d (filter)'`. */
  readonly name: string;
  /** Whether double backpropagation matched the closed form within `1e-3` relative. */
  readonly ok: boolean;
  /** Largest relative error against the closed form, or `null` when it could not be computed. */
  readonly relativeError: number | null;
  /** The engine's error message when double backpropagation threw (a missing gradient). */
  readonly error?: string;
}

/** The result of {@link checkSecondOrderGradients}. */
export interface SecondOrderReport {
  /** The tfjs backend the probes ran on. */
  readonly backend: string;
  /** Whether every probe passed. */
  readonly ok: boolean;
  /**
   * Whether every probe of a kernel whose second derivative tfjs 4.22 gets silently wrong
   * (`tanh`, `sigmoid`, `exp`, `softmax`) passed, and no convolution probe returned a wrong value.
   * This is what `mode: 'auto'` starts from: a missing gradient (an error, not a wrong value) is
   * caught at the first product, and the first product is also checked against finite
   * differences on the model itself. The `logSoftmax` probe is informational: `tf.logSoftmax`
   * and `tf.losses.softmaxCrossEntropy` are built with `tf.customGrad`, which no gradient
   * registration can make twice differentiable; use `softmaxCrossEntropy` from `@gflow/backend`.
   */
  readonly exactTrusted: boolean;
  /** Each probe. */
  readonly probes: readonly SecondOrderProbe[];
}

const TOLERANCE = 1e-3;

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = (got[i] as number) - (want[i] as number);
    num += d * d;
    den += (want[i] as number) ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

/** Double backpropagation of f at x along v: ∂/∂x (∇f(x) · v), as a tensor to read. */
function hvp(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(z), v)) as tf.Scalar)(x);
}

/** First-order gradient (tfjs gets first derivatives right), as a tensor to read. */
function grad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): tf.Tensor {
  return tf.grad(f)(x);
}

function* probe(
  name: string,
  run: () => Reads<{ got: ArrayLike<number>; want: ArrayLike<number> }>,
): Reads<SecondOrderProbe> {
  try {
    const { got, want } = yield* run();
    const e = relErr(got, want);
    return { name, ok: Number.isFinite(e) && e <= TOLERANCE, relativeError: Number.isFinite(e) ? e : null };
  } catch (err) {
    releaseFailedTape();
    return { name, ok: false, relativeError: null, error: err instanceof Error ? err.message : String(err) };
  }
}

function scalarProbe(
  name: string,
  f: (x: tf.Tensor) => tf.Tensor,
  d2: (x: number) => number,
): Reads<SecondOrderProbe> {
  const x0 = 0.37;
  return probe(name, function* () {
    const got = yield tf.tidy(() => hvp((z) => tf.sum(f(z)) as tf.Scalar, tf.scalar(x0), tf.scalar(1)));
    return { got, want: [d2(x0)] };
  });
}

/** The probes, each read back once (twice for the convolutions: the product and its reference). */
function* runProbes(): Reads<SecondOrderProbe[]> {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const probes: SecondOrderProbe[] = [
    yield* scalarProbe('tanh', tf.tanh, (x) => {
      const t = Math.tanh(x);
      return -2 * t * (1 - t * t);
    }),
    yield* scalarProbe('sigmoid', tf.sigmoid, (x) => {
      const s = sig(x);
      return s * (1 - s) * (1 - 2 * s);
    }),
    yield* scalarProbe('exp', tf.exp, Math.exp),
  ];
  // Cross-entropy of logits z against a one-hot y: H = diag(p) − p pᵀ, p = softmax(z).
  const z0 = [0.3, -0.8, 1.1];
  const y0 = [0, 1, 0];
  const v0 = [1, -0.5, 0.25];
  const e = z0.map(Math.exp);
  const sum = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / sum);
  const pv = p.reduce((a, pi, i) => a + pi * (v0[i] as number), 0);
  const want = p.map((pi, i) => pi * (v0[i] as number) - pi * pv);
  const ceProbe = (name: string, logp: (z: tf.Tensor) => tf.Tensor) =>
    probe(name, function* () {
      const got = yield tf.tidy(() => {
        const y = tf.tensor1d(y0);
        return hvp((z) => tf.neg(tf.sum(tf.mul(y, logp(z)))) as tf.Scalar, tf.tensor1d(z0), tf.tensor1d(v0));
      });
      return { got, want };
    });
  probes.push(yield* ceProbe('logSoftmax', (z) => tf.logSoftmax(z)));
  probes.push(yield* ceProbe('softmax', (z) => tf.log(tf.softmax(z))));
  // f(W) = ½‖conv2d(x, W)‖² is quadratic in W: H·V = ∇_W ⟨conv2d(x, W), conv2d(x, V)⟩ (a first derivative).
  const x = () => tf.tensor4d([0.5, -1, 2, 0.3, 1.5, -0.7, 0.2, 0.9, -1.2], [1, 3, 3, 1]);
  const w0 = () => tf.tensor4d([0.4, -0.3, 0.8, 0.1], [2, 2, 1, 1]);
  const vw = () => tf.tensor4d([1, 0.5, -0.25, 2], [2, 2, 1, 1]);
  const vx = () => tf.tensor4d([0.1, 0.2, -0.3, 1, -1, 0.5, 0.7, -0.2, 0.4], [1, 3, 3, 1]);
  const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid');
  const half = (c: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(c))) as tf.Scalar;
  probes.push(
    yield* probe('conv2d (filter)', function* () {
      const got = yield tf.tidy(() => hvp((w) => half(conv(x(), w)), w0(), vw()));
      const want = yield tf.tidy(() => {
        const c = conv(x(), vw());
        return grad((w) => tf.sum(tf.mul(conv(x(), w), c)) as tf.Scalar, w0());
      });
      return { got, want };
    }),
  );
  probes.push(
    yield* probe('conv2d (input)', function* () {
      const got = yield tf.tidy(() => hvp((xi) => half(conv(xi, w0())), x(), vx()));
      const want = yield tf.tidy(() => {
        const c = conv(vx(), w0());
        return grad((xi) => tf.sum(tf.mul(conv(xi, w0()), c)) as tf.Scalar, x());
      });
      return { got, want };
    }),
  );
  return probes;
}

const SMOOTH = new Set(['tanh', 'sigmoid', 'exp', 'softmax']);
const WATCHED = [
  'Tanh',
  'Sigmoid',
  'Exp',
  'Softmax',
  'LogSoftmax',
  'Log',
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
];

let cache: { key: unknown[]; report: SecondOrderReport } | undefined;

function fingerprint(): unknown[] {
  return [tf.getBackend(), backwardSaveMode(), ...WATCHED.map((k) => tf.getGradient(k))];
}

/**
 * Checks that the engine differentiates twice correctly: double backpropagation of `tanh`,
 * `sigmoid`, `exp`, softmax cross-entropy (through `logSoftmax` and through `log ∘ softmax`) and
 * `conv2d` (filter and input) against closed forms, e.g. `tanh″(x) = −2 tanh x (1 − tanh² x)`.
 *
 * tfjs 4.22 gets several of these silently wrong (the saved outputs of `tanh`, `sigmoid`, `exp` and
 * `softmax` are detached from the graph) and lacks the gradient of `Conv2DBackpropFilter`;
 * `initBackend()` from `@gflow/backend` registers corrections. The result is cached until the
 * backend or the registered gradients change. Tensors made here are freed.
 *
 * @param options - `refresh: true` reruns the probes even when a cached result is valid.
 * @returns Each probe's outcome, whether all passed, and whether `mode: 'auto'` trusts exact products.
 * @example
 * ```ts
 * const report = checkSecondOrderGradients();
 * if (!report.exactTrusted) console.warn(report.probes.filter((p) => !p.ok));
 * ```
 * @see Pearlmutter 1994, "Fast exact multiplication by the Hessian".
 */
export function checkSecondOrderGradients(options: { readonly refresh?: boolean } = {}): SecondOrderReport {
  readOptions('checkSecondOrderGradients', options);
  return runReadsSync(secondOrderReport(options.refresh === true));
}

/**
 * {@link checkSecondOrderGradients} as a {@link Reads} computation (gflow's asynchronous
 * functions run it with asynchronous reads): the cached report, or the probes' one.
 */
export function* secondOrderReport(refresh: boolean): Reads<SecondOrderReport> {
  const key = fingerprint();
  if (
    !refresh &&
    cache !== undefined &&
    cache.key.length === key.length &&
    cache.key.every((k, i) => k === key[i])
  ) {
    return cache.report;
  }
  const probes = yield* runProbes();
  const report: SecondOrderReport = {
    backend: tf.getBackend(),
    ok: probes.every((p) => p.ok),
    exactTrusted: probes.every((p) => p.ok || (!SMOOTH.has(p.name) && p.error !== undefined)),
    probes,
  };
  cache = { key, report };
  return report;
}

import { softmaxCrossEntropy } from '@gflow/backend';
import { measureGradientFlow, measureGradientFlowAsync } from '@gflow/diagnostics';
import { hessianVectorProduct } from '@gflow/landscape';
import {
  identityContext,
  type Model,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  prefetchParameters,
  residualMLP,
  vanillaRNN,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

/**
 * The checks that run on every engine, the same code in the page and in Node. Inputs come from a
 * plain JavaScript generator (not from an engine's random kernels), so every engine sees the same
 * numbers.
 */

/** Deterministic standard-normal draws (a 32-bit LCG through Box–Muller), the same on every engine. */
export function normals(seed: number, n: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** One-hot targets for `n` examples over `k` classes, class i mod k. */
function oneHot(n: number, k: number): tf.Tensor2D {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) out[i * k + (i % k)] = 1;
  return tf.tensor2d(out, [n, k]);
}

/** The relative difference ‖a − b‖ / max(‖a‖, ‖b‖) in float64. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    d += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb));
}

/** The second-order cases: a loss whose Hessian tfjs 4.22 gets wrong unless @gflow/backend fixes it. */
export const hvpCases = ['tanh MLP', 'sigmoid MLP', 'tanh conv net with batch norm'] as const;
/** One of {@link hvpCases}. */
export type HvpCase = (typeof hvpCases)[number];

/** Exact Hessian-vector product vs central finite differences, softmax cross-entropy. */
export interface HvpResult {
  readonly name: HvpCase;
  readonly mode: string;
  readonly relDiff: number;
  readonly norm: number;
}

function hvpModel(name: HvpCase): { model: Model; xs: tf.Tensor; ys: tf.Tensor2D } {
  if (name === 'tanh conv net with batch norm') {
    const model = plainConvNet({
      depth: 2,
      channels: 3,
      inputChannels: 2,
      kernelSize: 3,
      outputSize: 3,
      activation: 'tanh',
      norm: 'batch',
      seed: 8,
    });
    return { model, xs: tf.tensor4d(normals(9, 6 * 5 * 5 * 2), [6, 5, 5, 2]), ys: oneHot(6, 3) };
  }
  const activation = name === 'tanh MLP' ? 'tanh' : 'sigmoid';
  const model = plainMLP({ depth: 3, width: 8, inputSize: 6, outputSize: 4, activation, seed: 21 });
  return { model, xs: tf.tensor2d(normals(5, 16 * 6), [16, 6]), ys: oneHot(16, 4) };
}

/** Runs one second-order case on the current engine. */
export function hvpCheck(name: HvpCase): HvpResult {
  const { model, xs, ys } = hvpModel(name);
  try {
    const lossFn = () => softmaxCrossEntropy(ys, model.apply(xs, identityContext(true)));
    const count = model.parameters().reduce((n, p) => n + p.variable.size, 0);
    const v = normals(77, count);
    const exact = hessianVectorProduct(lossFn, model, v, { mode: 'exact' });
    const fd = hessianVectorProduct(lossFn, model, v, { mode: 'finite-difference', eps: 1e-3 });
    const flat = (r: typeof exact) => r.product.flatMap((p) => p.values);
    const e = flat(exact);
    return {
      name,
      mode: exact.mode,
      relDiff: relDiff(e, flat(fd)),
      norm: Math.sqrt(e.reduce((a, x) => a + x * x, 0)),
    };
  } finally {
    model.dispose();
    tf.dispose([xs, ys]);
  }
}

/** The gradient-flow cases compared with the Node result. */
export const flowCases = ['residual MLP', 'vanilla RNN'] as const;
/** One of {@link flowCases}. */
export type FlowCase = (typeof flowCases)[number];

/** Per-tap gradient norms and the loss of one {@link measureGradientFlow} run. */
export interface FlowResult {
  readonly name: FlowCase;
  readonly loss: number;
  readonly taps: readonly { readonly name: string; readonly gradNorm: number | null }[];
}

function flowModel(name: FlowCase): { model: Model; inputs: tf.Tensor; targets: tf.Tensor } {
  if (name === 'residual MLP') {
    return {
      model: residualMLP({ depth: 12, width: 16, inputSize: 8, outputSize: 4, activation: 'tanh', seed: 1 }),
      inputs: tf.tensor2d(normals(3, 32 * 8), [32, 8]),
      targets: tf.tensor2d(normals(4, 32 * 4), [32, 4]),
    };
  }
  return {
    model: vanillaRNN({ inputSize: 3, hiddenSize: 8, seed: 2 }),
    inputs: tf.tensor3d(normals(5, 4 * 12 * 3), [4, 12, 3]),
    targets: tf.tensor2d(normals(6, 4 * 8), [4, 8]),
  };
}

/** Runs `measureGradientFlow` on one model (fixed seeds) on the current engine (synchronous reads). */
export function flowCheck(name: FlowCase): FlowResult {
  const { model, inputs, targets } = flowModel(name);
  try {
    const r = measureGradientFlow(model, { inputs, targets, loss: 'meanSquaredError' });
    return { name, loss: r.loss, taps: r.taps.map((t) => ({ name: t.name, gradNorm: t.gradNorm })) };
  } finally {
    model.dispose();
    tf.dispose([inputs, targets]);
  }
}

/**
 * Runs `measureGradientFlowAsync` (its one batched read awaited) on one model on the current
 * engine: gflow's own measurement with no synchronous read on an engine whose tensors live on a
 * GPU, so it runs on webgpu too.
 */
export async function flowCheckLibAsync(name: FlowCase): Promise<FlowResult> {
  const { model, inputs, targets } = flowModel(name);
  try {
    const r = await measureGradientFlowAsync(model, { inputs, targets }, { loss: 'meanSquaredError' });
    return { name, loss: r.loss, taps: r.taps.map((t) => ({ name: t.name, gradNorm: t.gradNorm })) };
  } finally {
    model.dispose();
    tf.dispose([inputs, targets]);
  }
}

/** The Euclidean norm in float64, scaled so that no square under- or overflows. */
function norm64(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! / m) ** 2;
  return m * Math.sqrt(s);
}

/**
 * What `measureGradientFlow` measures per tap (‖∂L/∂h‖ of each tapped activation, training mode,
 * mean squared error) computed independently with tfjs ops and asynchronous reads only: each tap
 * gets a zero tensor added, and the gradient with respect to that zero is ∂L/∂h. For engines
 * whose synchronous reads do not work (webgpu in headless Chromium).
 */
export async function flowCheckAsync(name: FlowCase): Promise<FlowResult> {
  const { model, inputs, targets } = flowModel(name);
  const names: string[] = [];
  const shapes: number[][] = [];
  try {
    tf.tidy(() => {
      model.apply(inputs, {
        training: true,
        tap: (n, t) => {
          names.push(n);
          shapes.push(t.shape);
          return t;
        },
      });
    });
    const zeros = shapes.map((sh) => tf.zeros(sh));
    const { value, grads } = tf.valueAndGrads((...zs: tf.Tensor[]) => {
      let k = 0;
      const y = model.apply(inputs, { training: true, tap: (_n, t) => tf.add(t, zs[k++]!) });
      return tf.losses.meanSquaredError(targets, y) as tf.Scalar;
    })(zeros);
    const loss = (await value.data())[0]!;
    const taps = [];
    for (let i = 0; i < names.length; i++)
      taps.push({ name: names[i]!, gradNorm: norm64(await grads[i]!.data()) });
    tf.dispose([value, ...grads, ...zeros]);
    return { name, loss, taps };
  } finally {
    model.dispose();
    tf.dispose([inputs, targets]);
  }
}

/**
 * The same comparison as {@link hvpCheck}, computed with tfjs ops and asynchronous reads only
 * (Pearlmutter's exact product by nested `tf.variableGrads`; central differences by moving the
 * variables ±h along v̂ with h = 1e-3·max(1, ‖θ‖)), for engines whose synchronous reads fail.
 */
export async function hvpCheckAsync(name: HvpCase): Promise<HvpResult> {
  const { model, xs, ys } = hvpModel(name);
  const vars = model.parameters().map((p) => p.variable);
  const sizes = vars.map((x) => x.size);
  const v = normals(
    77,
    sizes.reduce((a, b) => a + b, 0),
  );
  const vNorm = norm64(v);
  let off = 0;
  const vt = vars.map((x, i) => {
    const t = tf.tensor(v.subarray(off, off + sizes[i]!), x.shape);
    off += sizes[i]!;
    return t;
  });
  const saved = vars.map((x) => tf.clone(x));
  const lossFn = () => softmaxCrossEntropy(ys, model.apply(xs, identityContext(true)));
  const flatten = (g: tf.NamedTensorMap) =>
    tf.concat(vars.map((x) => (g[x.name] == null ? tf.zeros([x.size]) : tf.reshape(g[x.name]!, [-1]))));
  try {
    const exactT = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const inner = tf.variableGrads(lossFn, vars).grads;
        return tf.addN(
          vars.map((x, i) => tf.sum(tf.mul(inner[x.name] ?? tf.zeros(x.shape), vt[i]!))),
        ) as tf.Scalar;
      }, vars);
      return flatten(grads);
    });
    const exact = await exactT.data();
    exactT.dispose();
    let theta = 0;
    for (const x of saved) theta = Math.hypot(theta, norm64(await x.data()));
    const h = 1e-3 * Math.max(1, theta);
    const gradAt = async (sign: number) => {
      vars.forEach((x, i) => {
        tf.tidy(() => x.assign(tf.add(saved[i]!, tf.mul(vt[i]!, (sign * h) / vNorm))));
      });
      const g = tf.tidy(() => flatten(tf.variableGrads(lossFn, vars).grads));
      const d = await g.data();
      g.dispose();
      return d;
    };
    const plus = await gradAt(1);
    const minus = await gradAt(-1);
    const fd = Array.from(plus, (p, i) => ((p - minus[i]!) * vNorm) / (2 * h));
    return { name, mode: 'exact', relDiff: relDiff(exact, fd), norm: norm64(exact) };
  } finally {
    vars.forEach((x, i) => {
      x.assign(saved[i]!);
    });
    tf.dispose([...saved, ...vt, xs, ys]);
    model.dispose();
  }
}

/** The orthogonal RNN's parametrizations, each of which reads its generator on the host. */
export const orthoCases = ['exp', 'cayley', 'householder'] as const;
/** One of {@link orthoCases}. */
export type OrthoCase = (typeof orthoCases)[number];

/** The output of an orthogonal RNN's forward pass, and the gradient of Σ y² (all parameters, flat). */
export interface OrthoResult {
  readonly name: OrthoCase;
  readonly output: readonly number[];
  /**
   * ∂(Σ y²)/∂θ for every parameter in order, concatenated: for `'exp'` on webgpu and webgl this
   * runs matrixExp's gradient on the engine (float32 tensor ops), in Node on the host in float64.
   */
  readonly gradient: readonly number[];
}

/** y = model(inputs) and the flat gradient of Σ y², as two tensors (the caller's to dispose). */
function orthoPass(model: Model, inputs: tf.Tensor): { y: tf.Tensor; g: tf.Tensor } {
  const vars = model.parameters().map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(inputs))) as tf.Scalar, vars);
  value.dispose();
  const g = tf.tidy(() => tf.concat(vars.map((v) => tf.reshape(grads[v.name] as tf.Tensor, [-1]))));
  tf.dispose(Object.values(grads));
  return { y: model.apply(inputs), g };
}

// Hidden size 40: the generator has 1,600 entries, above tfjs-webgpu's CPU-forwarding threshold
// (1,000), so on webgpu its kernels run on the GPU.
function orthoModel(name: OrthoCase): { model: Model; inputs: tf.Tensor } {
  return {
    model: orthogonalRNN({ inputSize: 3, hiddenSize: 40, outputSize: 2, parametrization: name, seed: 3 }),
    inputs: tf.tensor3d(normals(7, 4 * 10 * 3), [4, 10, 3]),
  };
}

/** The forward pass, read synchronously (the reference, in Node). */
export function orthoCheck(name: OrthoCase): OrthoResult {
  const { model, inputs } = orthoModel(name);
  try {
    const { y, g } = orthoPass(model, inputs);
    const out = { name, output: Array.from(y.dataSync()), gradient: Array.from(g.dataSync()) };
    tf.dispose([y, g]);
    return out;
  } finally {
    model.dispose();
    inputs.dispose();
  }
}

/**
 * The forward pass after every parameter was moved onto the engine (reassigned from a product with
 * the identity, exact in float32, so that the engine keeps no host copy of the values), with
 * `prefetchParameters` before it and the output read asynchronously: on webgpu the host-side
 * matrix exponential, Cayley solve and Householder check then read tfjs's host copy, not the GPU,
 * and the gradient (read asynchronously too) makes no synchronous read on the engine.
 */
export async function orthoCheckAsync(name: OrthoCase): Promise<OrthoResult> {
  const { model, inputs } = orthoModel(name);
  try {
    for (const p of model.parameters()) {
      const v = p.variable;
      const last = v.shape.at(-1) ?? 1;
      const moved = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(v, [-1, last]), tf.eye(last)), v.shape));
      v.assign(moved);
      moved.dispose();
    }
    await prefetchParameters(model);
    const { y, g } = orthoPass(model, inputs);
    const out = { name, output: Array.from(await y.data()), gradient: Array.from(await g.data()) };
    tf.dispose([y, g]);
    return out;
  } finally {
    model.dispose();
    inputs.dispose();
  }
}

import { ShapeError } from '@gflow/core';
import { onHostMemoryEngine } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { expm64, matmul64, norm1 } from '../internal/dense64.js';
import { checkFiniteValues, checkFloat, checkTensor } from '../internal/validate.js';

/**
 * The matrix exponential exp(A) = Σ A^k/k!, differentiable, computed in float64 by scaling and
 * squaring with a Taylor series (only matrix products). For skew-symmetric A (Aᵀ = −A) the result
 * is orthogonal; this is the parametrization of Lezcano-Casado and Martínez-Rubio 2019.
 *
 * The gradient is the adjoint Fréchet derivative, ∂L/∂A = L_exp(Aᵀ, G) with G = ∂L/∂exp(A),
 * read off as the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]]) (Mathias 1996): in float64 on the
 * host on engines whose tensors live in host memory (cpu, wasm, tfjs-node), and on the others
 * (webgpu, webgl) in float32 on the device, so that G is never read synchronously (see
 * `matrixExpOp`'s `gradient`). Second derivatives are not supported (the gradient is not itself differentiable).
 *
 * @param a - A square float32 matrix [n, n].
 * @returns exp(A), float32 [n, n], the caller's to dispose.
 * @throws ShapeError (from `@gflow/core`) when `a` is not square 2-D; InvalidArgumentError when it is
 *   not a live float32 tensor; NonFiniteError when it has a NaN or ±Infinity entry, or exp(a)
 *   overflows float64.
 * @example
 * ```ts
 * const w = matrixExp(tf.tensor2d([[0, 1], [-1, 0]])); // [[cos 1, sin 1], [−sin 1, cos 1]]
 * ```
 * @see Lezcano-Casado and Martínez-Rubio 2019, "Cheap Orthogonal Constraints in Neural Networks"; Higham 2005, "The scaling and squaring method for the matrix exponential revisited".
 */
export function matrixExp(a: tf.Tensor2D): tf.Tensor2D {
  checkTensor('matrixExp', 'a', a);
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw new ShapeError(`matrixExp: a must be a square matrix [n, n], got shape [${a.shape.join(', ')}]`);
  }
  checkFloat('matrixExp', 'a', a);
  return matrixExpOp('matrixExp', 'a', a, false);
}

/**
 * exp(P − Pᵀ) for a square float32 generator P (the orthogonal RNN's `'exp'` parametrization): as
 * {@link matrixExp} of the skew-symmetric A = P − Pᵀ, with A formed on the host in float64 from P's
 * values, so that the one synchronous read is of P itself (a variable whose values a caller can
 * await first: see `prefetchParameters`). The gradient is ∂L/∂P = F − Fᵀ with
 * F = L_exp(Aᵀ, ∂L/∂exp(A)), on the host or the device as {@link matrixExp}'s. Not exported from
 * the package.
 */
export function matrixExpOfSkew(p: tf.Tensor2D): tf.Tensor2D {
  return matrixExpOp('matrixExp', 'a', p, true);
}

/**
 * Where {@link matrixExpOp}'s gradient is computed: `'host'`, in float64 after reading
 * ∂L/∂exp(A) synchronously; `'device'`, in float32 tensor ops with no read; `'auto'` (the
 * default), `'host'` on engines whose tensors live in host memory (cpu, wasm, tensorflow) and
 * `'device'` on the others (webgpu, webgl), decided when the gradient runs.
 */
export type ExpGradientPath = 'auto' | 'host' | 'device';

/**
 * exp of `x` (or of `x − xᵀ` with `skew`) in float64 on the host (reading `x` synchronously: its
 * values must be on the host already on a GPU engine), with its adjoint Fréchet gradient on the
 * path `gradient` chooses. Internal: {@link matrixExp} and {@link matrixExpOfSkew} use `'auto'`;
 * tests force the other paths.
 */
export function matrixExpOp(
  fn: string,
  arg: string,
  x0: tf.Tensor2D,
  skew: boolean,
  gradient: ExpGradientPath = 'auto',
): tf.Tensor2D {
  const n = x0.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const data = (args[0] as tf.Tensor).dataSync();
    // a NaN or infinite entry would make the scaling-and-squaring loop run forever
    checkFiniteValues(fn, arg, data);
    const a = skew ? skewPart(data, n) : Float64Array.from(data);
    const e = expm64(a, n);
    checkFiniteValues(fn, 'exp(a) (float64 overflow)', e);
    return {
      value: tf.tensor2d(Float32Array.from(e), [n, n]),
      gradFunc: (dy: tf.Tensor) => {
        const onHost = gradient === 'host' || (gradient === 'auto' && onHostMemoryEngine(tf.getBackend()));
        if (!onHost) {
          return [
            tf.tidy(() => {
              const f = adjointFrechetOnDevice(a, constantOf(dy), n);
              return skew ? tf.sub(f, tf.transpose(f)) : f;
            }),
          ];
        }
        const f = adjointFrechet(a, dy.dataSync(), n);
        if (skew) {
          const t = Float64Array.from(f);
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) f[i * n + j] = (t[i * n + j] as number) - (t[j * n + i] as number);
        }
        return [tf.tensor2d(Float32Array.from(f), [n, n])];
      },
    };
  });
  return op(x0) as tf.Tensor2D;
}

/**
 * `x` as a constant for any second differentiation (its gradient is zero): the device path's
 * gradient then differentiates as the host path's (a tensor made from host values), so that
 * `hessianEigenvalues`' `'auto'` mode sees the same model on every engine.
 */
const constantOf = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: () => [tf.zerosLike(x)] };
}) as (x: tf.Tensor) => tf.Tensor2D;

/** Row-major transpose of an n×n float64 matrix. */
function transpose64(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j] as number;
  return t;
}

/** Taylor terms kept for ‖B‖₁ = θ: the first m with θᵐ/m! ≤ 2⁻²⁷, below float32's rounding. */
function taylorTerms(theta: number): number {
  let m = 1;
  let bound = theta;
  while (bound > 2 ** -27 && m < 30) {
    m++;
    bound *= theta / m;
  }
  return m;
}

/**
 * L(Aᵀ, G), the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]]), with G = `g` a tensor that is never
 * read: everything that depends on A alone is computed on the host in float64 and uploaded, the
 * rest is float32 tensor ops. With X = Aᵀ, s squarings chosen from ‖X‖₁ alone (‖X/2ˢ‖₁ ≤ 1/2, as
 * {@link expm64}) and B = X/2ˢ, the block of exp([[B, Ĝ], [0, B]]) is F₀ = Σ_{k≥1} U_k with U₁ = Ĝ,
 * U_k = (U_{k−1}B + B^{k−1}/(k−1)!·Ĝ)/k; each squaring of [[E, F], [0, E]] gives
 * F ← EF + FE with E ← E² (E₀ = exp(B) in float64). Since L is linear in G, Ĝ = G/(2ˢ·max|G|) and
 * the result is multiplied by max|G| (a tensor) at the end: the squarings are those of A, and
 * float32 neither overflows nor underflows for any finite G. A NaN or ±Infinity in G gives NaN.
 */
function adjointFrechetOnDevice(a: Float64Array, g: tf.Tensor2D, n: number): tf.Tensor2D {
  const x = transpose64(a, n);
  const nrm = norm1(x, n);
  const s = nrm > 0.5 ? Math.ceil(Math.log2(nrm / 0.5)) : 0;
  const b = x.map((v) => v * 2 ** -s);
  const m = taylorTerms(norm1(b, n));
  const up = (v: Float64Array): tf.Tensor2D => tf.tensor2d(Float32Array.from(v), [n, n]);
  const gmax = tf.max(tf.abs(g));
  const scale = tf.where(tf.greater(gmax, 0), gmax, tf.onesLike(gmax));
  const gh = tf.div(g, tf.mul(scale, 2 ** s)) as tf.Tensor2D;
  const bt = up(b);
  let d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  let u: tf.Tensor2D = gh;
  let f: tf.Tensor2D = gh;
  for (let k = 2; k <= m; k++) {
    d = matmul64(d, b, n).map((v) => v / (k - 1));
    u = tf.div(tf.add(tf.matMul(u, bt), tf.matMul(up(d), gh)), k);
    f = tf.add(f, u);
  }
  let e = expm64(b, n);
  for (let t = 0; t < s; t++) {
    const et = up(e);
    f = tf.add(tf.matMul(et, f), tf.matMul(f, et));
    e = matmul64(e, e, n);
  }
  return tf.mul(f, scale);
}

/** P − Pᵀ in float64. */
function skewPart(p: ArrayLike<number>, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) a[i * n + j] = (p[i * n + j] as number) - (p[j * n + i] as number);
  return a;
}

/** ∂L/∂A = upper-right block of exp([[Aᵀ, G], [0, Aᵀ]]) (Mathias 1996), in float64. */
function adjointFrechet(a0: Float64Array, g: ArrayLike<number>, n: number): Float64Array {
  // L(Aᵀ, G) is linear in G: use G/‖G‖₁ so that the squarings needed are those of A, not of G
  let gn = 0;
  for (let j = 0; j < n; j++) {
    let col = 0;
    for (let i = 0; i < n; i++) col += Math.abs(g[i * n + j] as number);
    gn = Math.max(gn, col);
  }
  const gs = gn > 0 ? 1 / gn : 1;
  const m = 2 * n;
  const big = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const at = a0[j * n + i] as number;
      big[i * m + j] = at;
      big[(n + i) * m + n + j] = at;
      big[i * m + n + j] = (g[i * n + j] as number) * gs;
    }
  }
  const e = expm64(big, m);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (e[i * m + n + j] as number) / gs;
  return out;
}

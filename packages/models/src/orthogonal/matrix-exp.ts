import { ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { expm64 } from '../internal/dense64.js';
import { checkFiniteValues, checkFloat, checkTensor } from '../internal/validate.js';

/**
 * The matrix exponential exp(A) = Σ A^k/k!, differentiable, computed in float64 by scaling and
 * squaring with a Taylor series (only matrix products). For skew-symmetric A (Aᵀ = −A) the result
 * is orthogonal; this is the parametrization of Lezcano-Casado and Martínez-Rubio 2019.
 *
 * The gradient is the adjoint Fréchet derivative, ∂L/∂A = L_exp(Aᵀ, G) with G = ∂L/∂exp(A),
 * read off as the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]]) (Mathias 1996), also in float64.
 * Second derivatives are not supported (the gradient is not itself differentiable).
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
  return expOp('matrixExp', 'a', a, false);
}

/**
 * exp(P − Pᵀ) for a square float32 generator P (the orthogonal RNN's `'exp'` parametrization): as
 * {@link matrixExp} of the skew-symmetric A = P − Pᵀ, with A formed on the host in float64 from P's
 * values, so that the one synchronous read is of P itself (a variable whose values a caller can
 * await first: see `prefetchParameters`). The gradient is ∂L/∂P = F − Fᵀ with
 * F = L_exp(Aᵀ, ∂L/∂exp(A)), also in float64. Not exported from the package.
 */
export function matrixExpOfSkew(p: tf.Tensor2D): tf.Tensor2D {
  return expOp('matrixExp', 'a', p, true);
}

/** exp of `x` (or of `x − xᵀ` with `skew`) in float64 on the host, with its adjoint Fréchet gradient. */
function expOp(fn: string, arg: string, x0: tf.Tensor2D, skew: boolean): tf.Tensor2D {
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

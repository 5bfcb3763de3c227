import { NonFiniteError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { inverse, Matrix } from 'ml-matrix';
import { toFloat32, toMatrix } from '../internal/dense64.js';
import { checkFiniteValues, checkFloat, checkTensor } from '../internal/validate.js';

/**
 * The Cayley map W = (I + A)⁻¹(I − A), differentiable; for skew-symmetric A it is orthogonal with
 * no eigenvalue −1. The forward pass solves in float64 (LU through ml-matrix); the gradient is
 * ∂L/∂A = −X ᵀ G (W + I)ᵀ with X = (I + A)⁻¹ and G = ∂L/∂W (from dX = −X dA X).
 *
 * @param a - A square float32 matrix [n, n] with I + A invertible.
 * @returns W, float32 [n, n], the caller's to dispose.
 * @throws ShapeError (from `@gflow/core`) when `a` is not square 2-D; InvalidArgumentError when it is
 *   not a live float32 tensor; NonFiniteError when it has a NaN or ±Infinity entry, or I + a is singular.
 * @example
 * ```ts
 * const w = cayleyMap(tf.tensor2d([[0, 1], [-1, 0]])); // [[0, −1], [1, 0]]
 * ```
 * @see Helfrich, Willmott and Ye 2018, "Orthogonal Recurrent Neural Networks with Scaled Cayley Transform"; Lezcano-Casado and Martínez-Rubio 2019.
 */
export function cayleyMap(a: tf.Tensor2D): tf.Tensor2D {
  checkTensor('cayleyMap', 'a', a);
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw new ShapeError(`cayleyMap: a must be a square matrix [n, n], got shape [${a.shape.join(', ')}]`);
  }
  checkFloat('cayleyMap', 'a', a);
  return cayleyOp(a, false);
}

/**
 * The Cayley map of P − Pᵀ for a square float32 generator P (the orthogonal RNN's `'cayley'`
 * parametrization): as {@link cayleyMap} of A = P − Pᵀ, formed on the host in float64 from P's
 * values, so that the one synchronous read is of P itself (see `prefetchParameters`). The gradient
 * is ∂L/∂P = D − Dᵀ with D = −Xᵀ G (W + I)ᵀ, on the engine. Not exported from the package.
 */
export function cayleyMapOfSkew(p: tf.Tensor2D): tf.Tensor2D {
  return cayleyOp(p, true);
}

/** The Cayley map of `x` (or of `x − xᵀ` with `skew`), solved in float64 on the host. */
function cayleyOp(x0: tf.Tensor2D, skew: boolean): tf.Tensor2D {
  const n = x0.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const data = x.dataSync();
    checkFiniteValues('cayleyMap', 'a', data);
    const P = toMatrix(data, n, n);
    const A = skew ? P.clone().sub(P.transpose()) : P;
    const I = Matrix.eye(n, n);
    let X: Matrix;
    try {
      X = inverse(I.clone().add(A));
    } catch (e) {
      throw new NonFiniteError(
        `cayleyMap: I + a is singular (${(e as Error).message}): the result is not finite`,
      );
    }
    const W = X.mmul(I.clone().sub(A));
    if (!W.to1DArray().every(Number.isFinite)) {
      throw new NonFiniteError('cayleyMap: I + a is singular (or nearly so): the result is not finite');
    }
    const xT = tf.tensor2d(toFloat32(X), [n, n]);
    const wT = tf.tensor2d(toFloat32(W), [n, n]);
    save([xT, wT]);
    return {
      value: wT,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const wPlusI = tf.add(ws, tf.eye(n));
        const d = tf.neg(tf.matMul(tf.matMul(xs, dy as tf.Tensor2D, true, false), wPlusI, false, true));
        return [skew ? tf.sub(d, tf.transpose(d)) : d];
      },
    };
  });
  return op(x0) as tf.Tensor2D;
}

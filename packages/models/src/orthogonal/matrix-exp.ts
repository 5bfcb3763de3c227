import { ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { Matrix } from 'ml-matrix';
import { expm64, toFloat32, toMatrix } from '../internal/dense64.js';
import { checkFloat } from '../internal/validate.js';

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
 * @throws ShapeError (from `@gflow/core`) when `a` is not square 2-D.
 * @example
 * ```ts
 * const w = matrixExp(tf.tensor2d([[0, 1], [-1, 0]])); // [[cos 1, sin 1], [−sin 1, cos 1]]
 * ```
 * @see Lezcano-Casado and Martínez-Rubio 2019, "Cheap Orthogonal Constraints in Neural Networks"; Higham 2005, "The scaling and squaring method for the matrix exponential revisited".
 */
export function matrixExp(a: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw new ShapeError(`matrixExp: a must be a square matrix [n, n], got shape [${a.shape.join(', ')}]`);
  }
  checkFloat('matrixExp', 'a', a);
  const n = a.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const A = toMatrix(x.dataSync(), n, n);
    save([x]);
    return {
      value: tf.tensor2d(toFloat32(expm64(A)), [n, n]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const At = toMatrix((saved[0] as tf.Tensor).dataSync(), n, n).transpose();
        const G = toMatrix(dy.dataSync(), n, n);
        const big = new Matrix(2 * n, 2 * n);
        big.setSubMatrix(At, 0, 0);
        big.setSubMatrix(G, 0, n);
        big.setSubMatrix(At, n, n);
        const e = expm64(big);
        return [tf.tensor2d(toFloat32(e.subMatrix(0, n - 1, n, 2 * n - 1)), [n, n])];
      },
    };
  });
  return op(a) as tf.Tensor2D;
}

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
  const n = a.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const data = x.dataSync();
    // a NaN or infinite entry would make the scaling-and-squaring loop run forever
    checkFiniteValues('matrixExp', 'a', data);
    const e = expm64(Float64Array.from(data), n);
    checkFiniteValues('matrixExp', 'exp(a) (float64 overflow)', e);
    save([x]);
    return {
      value: tf.tensor2d(Float32Array.from(e), [n, n]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // ∂L/∂A = upper-right block of exp([[Aᵀ, G], [0, Aᵀ]])
        const a0 = (saved[0] as tf.Tensor).dataSync();
        const g = dy.dataSync();
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
        const out = new Float32Array(n * n);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) out[i * n + j] = (e[i * m + n + j] as number) / gs;
        return [tf.tensor2d(out, [n, n])];
      },
    };
  });
  return op(a) as tf.Tensor2D;
}

import { ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

/**
 * The product of Householder reflections W = H₁H₂⋯H_k, H_i = I − 2u_iu_iᵀ/‖u_i‖², an orthogonal
 * matrix for any nonzero rows u_i; with k = n every orthogonal matrix of determinant (−1)ⁿ is
 * reachable (Mhammedi et al. 2017). Differentiable by tfjs autodiff.
 *
 * @param vectors - The reflection vectors as rows, [k, n], none zero.
 * @returns W, [n, n], the caller's to dispose.
 * @throws ShapeError (from `@gflow/core`) when `vectors` is not 2-D.
 * @example
 * ```ts
 * const w = householderProduct(tf.tensor2d([[1, 0]])); // [[−1, 0], [0, 1]]
 * ```
 * @see Mhammedi et al. 2017, "Efficient Orthogonal Parametrisation of Recurrent Neural Networks Using Householder Reflections".
 */
export function householderProduct(vectors: tf.Tensor2D): tf.Tensor2D {
  if (vectors.rank !== 2) {
    throw new ShapeError(
      `householderProduct: vectors must be 2-D [k, n], got shape [${vectors.shape.join(', ')}]`,
    );
  }
  const [k, n] = vectors.shape;
  return tf.tidy(() => {
    let m: tf.Tensor2D = tf.eye(n);
    const rows = tf.unstack(vectors, 0);
    for (let i = 0; i < k; i++) {
      const u = tf.reshape(rows[i] as tf.Tensor, [n, 1]) as tf.Tensor2D;
      const mu = tf.matMul(m, u); // [n, 1]
      const scale = tf.div(2, tf.sum(tf.square(u)));
      m = tf.sub(m, tf.mul(tf.matMul(mu, u, false, true), scale));
    }
    return m;
  });
}

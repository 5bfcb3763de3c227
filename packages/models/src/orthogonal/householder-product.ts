import { InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { unstack } from '../internal/unstack.js';
import { checkFiniteValues, checkTensor } from '../internal/validate.js';

/**
 * The product of Householder reflections W = H₁H₂⋯H_k, H_i = I − 2u_iu_iᵀ/‖u_i‖², an orthogonal
 * matrix for any nonzero rows u_i; with k = n every orthogonal matrix of determinant (−1)ⁿ is
 * reachable (Mhammedi et al. 2017). Differentiable by tfjs autodiff.
 *
 * @param vectors - The reflection vectors as rows, [k, n], none zero.
 * @returns W, [n, n], the caller's to dispose.
 * @throws ShapeError (from `@gflow/core`) when `vectors` is not 2-D; InvalidArgumentError when it is
 *   not a live float32 tensor or has a zero row; NonFiniteError when it has a NaN or ±Infinity entry.
 * @example
 * ```ts
 * const w = householderProduct(tf.tensor2d([[1, 0]])); // [[−1, 0], [0, 1]]
 * ```
 * @see Mhammedi et al. 2017, "Efficient Orthogonal Parametrisation of Recurrent Neural Networks Using Householder Reflections".
 */
export function householderProduct(vectors: tf.Tensor2D): tf.Tensor2D {
  const fn = 'householderProduct';
  checkTensor(fn, 'vectors', vectors, { dtype: 'float32' });
  if (vectors.rank !== 2) {
    throw new ShapeError(`${fn}: vectors must be 2-D [k, n], got shape [${vectors.shape.join(', ')}]`);
  }
  const [k, n] = vectors.shape;
  // a NaN row gives a NaN matrix and a zero row divides by zero: refuse both (one host read of k·n)
  const data = vectors.dataSync();
  checkFiniteValues(fn, 'vectors', data);
  for (let i = 0; i < k; i++) {
    let ss = 0;
    for (let j = 0; j < n; j++) ss = Math.max(ss, Math.abs(data[i * n + j] as number));
    if (ss === 0) throw new InvalidArgumentError(`${fn}: vectors[${i}] must be nonzero, got a zero row`);
  }
  return tf.tidy(() => {
    let m: tf.Tensor2D = tf.eye(n);
    const rows = unstack(vectors, 0);
    for (let i = 0; i < k; i++) {
      const u = tf.reshape(rows[i] as tf.Tensor, [n, 1]) as tf.Tensor2D;
      const mu = tf.matMul(m, u); // [n, 1]
      const scale = tf.div(2, tf.sum(tf.square(u)));
      m = tf.sub(m, tf.mul(tf.matMul(mu, u, false, true), scale));
    }
    return m;
  });
}

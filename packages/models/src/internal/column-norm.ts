import * as tf from '@tensorflow/tfjs';

/**
 * The Euclidean norm of every column of v, ‖v_{:,j}‖, computed as s_j·√(Σ_i (v_ij/s_j)²) with
 * s_j = max_i |v_ij| so that float32 squares neither overflow nor underflow, as one differentiable
 * op whose gradient is ∂‖v_j‖/∂v_ij = v_ij/‖v_j‖. The backward pass calls this op again on the saved
 * input, so a gradient of the gradient (Hessian-vector products) is exact too. A column of zeros
 * gives 0/0 = NaN; callers keep columns away from 0.
 *
 * @param v - [rows, cols].
 * @returns [cols].
 */
export function columnNorm(v: tf.Tensor2D): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [vIn, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const s = tf.max(tf.abs(vIn), 0);
    const value = tf.mul(s, tf.sqrt(tf.sum(tf.square(tf.div(vIn, s)), 0))) as tf.Tensor1D;
    save([vIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // The saved input is joined to v on the tape when this pass is recorded, so recomputing
        // the norm from it keeps the second derivative exact.
        const vs = saved[0] as tf.Tensor2D;
        return [tf.mul(vs, tf.div(dy, columnNorm(vs)))];
      },
    };
  });
  return op(v) as tf.Tensor1D;
}

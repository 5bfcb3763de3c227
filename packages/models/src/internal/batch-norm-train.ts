import { backwardIsRecorded } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';

/**
 * Receives the batch mean and biased variance of a training-mode call (for the running averages).
 * It runs inside the op's forward pass, where tfjs records nothing for differentiation, and the
 * tensors are freed after it returns (keep what must outlive it).
 */
export type OnBatchStatistics = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/** x̂ = (x − μ)/√(σ² + ε) with μ, σ² the mean and biased variance over `axes`, and 1/√(σ² + ε). */
function normalize(
  x: tf.Tensor,
  axes: number[],
  epsilon: number,
): { xhat: tf.Tensor; invStd: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const mean = tf.mean(x, axes);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes);
  const invStd = tf.rsqrt(tf.add(variance, epsilon));
  return { xhat: tf.mul(centered, invStd), invStd, mean, variance };
}

/**
 * Training-mode batch normalization as one differentiable op with the closed-form backward pass
 * (Ioffe and Szegedy 2015, §3):
 *
 *   y = γ·x̂ + β,  x̂ = (x − μ)/√(σ² + ε)  (μ, σ² over every axis but the last, m values each)
 *   ∂L/∂β = Σ dy,  ∂L/∂γ = Σ dy·x̂,  ∂L/∂x = γ/√(σ² + ε) · (dy − Σdy/m − x̂·Σ(dy·x̂)/m)
 *
 * tfjs differentiating the composite (mean, sub, square, mean, add, sqrt, div, mul, add) runs
 * about 60 kernels per layer for the backward pass, a cost of their number more than of their
 * work; this runs 9. When the backward pass is itself being differentiated (Hessian-vector
 * products), x̂ and 1/√(σ² + ε) are recomputed from the saved input with recorded ops, so the
 * second derivative is exact too; otherwise the values saved by the forward pass are used.
 *
 * @param x - Input, channels last, rank ≥ 2.
 * @param gamma - Scale γ, shape [channels].
 * @param beta - Shift β, shape [channels].
 * @param epsilon - ε added to the variance.
 * @param onStatistics - Called with the batch mean and biased variance during the forward pass.
 * @returns y.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onStatistics?: OnBatchStatistics,
): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const m = x.size / (x.shape[x.rank - 1] ?? 1);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const n = normalize(xIn, axes, epsilon);
    onStatistics?.(n.mean as tf.Tensor1D, n.variance as tf.Tensor1D);
    save([xIn, g, n.xhat, n.invStd]);
    return {
      value: tf.add(tf.mul(n.xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, xhatSaved, invStdSaved] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        // Recorded: recompute from the saved input (a clone joined to x on the tape) so that the
        // ops of this backward pass lead back to x. Not recorded: the forward pass's values.
        const { xhat, invStd } = backwardIsRecorded()
          ? normalize(xs, axes, epsilon)
          : { xhat: xhatSaved, invStd: invStdSaved };
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, xhat), axes);
        const centeredDy = tf.sub(dy, tf.div(dBeta, m));
        const dx = tf.mul(tf.sub(centeredDy, tf.mul(xhat, tf.div(dGamma, m))), tf.mul(gs, invStd));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta);
}

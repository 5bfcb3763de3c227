import * as tf from '@tensorflow/tfjs';

/**
 * d batchNorm(x, μ, σ², γ, β) = γ(x − μ)/√(σ² + ε) + β, by broadcasting: ∂/∂x = dy·γ·r,
 * ∂/∂μ = −Σ dy·γ·r, ∂/∂σ² = −½ Σ dy·γ·(x − μ)·r³, ∂/∂γ = Σ dy·(x − μ)·r, ∂/∂β = Σ dy, with
 * r = 1/√(σ² + ε) and Σ over the axes μ was broadcast along. Same values as tfjs 4.22's config,
 * which `tile`s r to the full shape of x (on wasm that `Tile` cost as much as all the convolutions of
 * a conv net's backward pass); every op here has an exact gradient, so second derivatives hold.
 */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const d = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor, shape: number[]): tf.Tensor =>
      tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
    const r = () => tf.rsqrt(tf.add(variance, eps));
    const dyScaled = () => (scale === undefined ? d : tf.mul(d, scale));
    return {
      x: () => tf.mul(dyScaled(), r()),
      mean: () => reduce(tf.neg(tf.mul(dyScaled(), r())), mean.shape),
      variance: () => {
        const rr = r();
        const r3 = tf.mul(tf.mul(rr, rr), rr);
        return reduce(tf.mul(tf.mul(dyScaled(), tf.sub(x, mean)), tf.mul(r3, -0.5)), variance.shape);
      },
      scale: () => reduce(tf.mul(d, tf.mul(tf.sub(x, mean), r())), (scale ?? mean).shape),
      offset: () => reduce(d, mean.shape),
    };
  },
};

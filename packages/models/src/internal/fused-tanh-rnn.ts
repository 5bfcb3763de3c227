import { TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD } from '@gflow/core/internal';
import { backwardIsRecorded } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { StepGradients } from '../module.js';
import { kernelsAvailable } from './kernels-available.js';
import { unstack } from './unstack.js';

/**
 * Whether the engine in use has both fused tanh-RNN kernels (`@gflow/backend` registers them for
 * wasm). Elsewhere (cpu, webgl, webgpu, tfjs-node) a recurrent stack runs step by step.
 */
export function fusedTanhRnnAvailable(): boolean {
  return kernelsAvailable(TANH_RNN_SEQUENCE, TANH_RNN_SEQUENCE_GRAD);
}

/**
 * h_t = tanh(u_t + h_{t−1} w) for every step, recorded by tfjs as ONE op: u [batch, steps, hidden]
 * (the projected inputs), w [hidden, hidden], h0 [batch, hidden] → h [batch, steps, hidden].
 *
 * The forward pass is one `GflowTanhRnnSequence` kernel; a first-order backward pass is one
 * `GflowTanhRnnSequenceGrad` kernel, which also yields ∂L/∂h_t of every step (from downstream and
 * through the recurrence: what a tap on h_t sees), handed to `onStepGradients` [steps, batch,
 * hidden], or, when it has a `norms` member, each step's scaled pair [steps, 2] handed to that.
 * When the backward pass is itself recorded (a gradient of a gradient, e.g. a Hessian-vector
 * product) it runs as ordinary tfjs ops instead, recomputing h_t from the saved inputs, so that
 * second derivatives are exact (as `batchNormTrain` does).
 *
 * @internal
 */
export function fusedTanhRnn(
  u: tf.Tensor3D,
  w: tf.Tensor2D,
  h0: tf.Tensor2D,
  onStepGradients?: StepGradients,
): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [uIn, wIn, h0In, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const h = tf.engine().runKernel(TANH_RNN_SEQUENCE, { u: uIn, w: wIn, h0: h0In }) as tf.Tensor3D;
    save([uIn, wIn, h0In, h]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [us, ws, h0s, hs] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D];
        if (backwardIsRecorded()) {
          const r = recordedBackward(dy as tf.Tensor3D, us, ws, h0s);
          onStepGradients?.(r.dhTotal);
          return [r.du, r.dw, r.dh0];
        }
        // A listener that wants only the steps' norms gets the kernel's pairs [T, 2] instead of the
        // [T, b, n] gradients (never written, read back or summed in JavaScript).
        const norms = onStepGradients?.norms;
        const [du, dw, dh0, steps] = tf
          .engine()
          .runKernel(
            TANH_RNN_SEQUENCE_GRAD,
            { dh: dy, h: hs, w: ws, h0: h0s },
            { stepGradients: onStepGradients !== undefined, stepNorms: norms !== undefined },
          ) as tf.Tensor[];
        if (norms !== undefined) norms(steps as tf.Tensor);
        else if (onStepGradients !== undefined) onStepGradients(steps as tf.Tensor);
        return [du as tf.Tensor, dw as tf.Tensor, dh0 as tf.Tensor];
      },
    };
  });
  return op(u, w, h0) as tf.Tensor3D;
}

/**
 * Backpropagation through time as recorded tfjs ops, from the saved inputs (h_t recomputed), so
 * that the result can itself be differentiated.
 */
function recordedBackward(
  dy: tf.Tensor3D,
  u: tf.Tensor3D,
  w: tf.Tensor2D,
  h0: tf.Tensor2D,
): { du: tf.Tensor; dw: tf.Tensor; dh0: tf.Tensor; dhTotal: tf.Tensor } {
  const T = u.shape[1];
  const us = unstack(u, 1) as tf.Tensor2D[];
  const dys = unstack(dy, 1) as tf.Tensor2D[];
  const hs: tf.Tensor2D[] = [h0];
  for (let t = 0; t < T; t++) {
    hs.push(tf.tanh(tf.add(us[t] as tf.Tensor2D, tf.matMul(hs[t] as tf.Tensor2D, w))) as tf.Tensor2D);
  }
  const dus: tf.Tensor2D[] = new Array(T);
  const dhs: tf.Tensor2D[] = new Array(T);
  let dw: tf.Tensor2D | undefined;
  let g: tf.Tensor2D | undefined;
  for (let t = T - 1; t >= 0; t--) {
    const d = g === undefined ? (dys[t] as tf.Tensor2D) : (tf.add(dys[t] as tf.Tensor2D, g) as tf.Tensor2D);
    dhs[t] = d;
    const ht = hs[t + 1] as tf.Tensor2D;
    const dz = tf.mul(d, tf.sub(1, tf.square(ht))) as tf.Tensor2D;
    dus[t] = dz;
    const dwt = tf.matMul(hs[t] as tf.Tensor2D, dz, true, false) as tf.Tensor2D;
    dw = dw === undefined ? dwt : (tf.add(dw, dwt) as tf.Tensor2D);
    g = tf.matMul(dz, w, false, true) as tf.Tensor2D;
  }
  return {
    du: tf.stack(dus, 1),
    dw: dw as tf.Tensor2D,
    dh0: g as tf.Tensor2D,
    dhTotal: tf.stack(dhs, 0),
  };
}

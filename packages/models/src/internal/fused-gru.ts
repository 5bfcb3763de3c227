import { GRU_SEQUENCE, GRU_SEQUENCE_GRAD } from '@gflow/core/internal';
import { backwardIsRecorded } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { StepGradients } from '../module.js';
import { kernelsAvailable } from './kernels-available.js';
import { unstack } from './unstack.js';

/** Whether the engine in use has both fused GRU kernels (`@gflow/backend` registers them for wasm). */
export function fusedGruAvailable(): boolean {
  return kernelsAvailable(GRU_SEQUENCE, GRU_SEQUENCE_GRAD);
}

/**
 * A whole GRU layer (gate order r, z, n; n = tanh(u_n + r ⊙ (h W_n + b_n)), h' = n + z ⊙ (h − n))
 * recorded by tfjs as ONE op: u [batch, steps, 3·hidden] (the projected inputs), w [hidden,
 * 3·hidden], b [3·hidden] (the recurrent bias), h0 [batch, hidden] → h [batch, steps, hidden]. As
 * {@link fusedTanhRnn}: one kernel forward, one for a first-order backward pass (handing ∂L/∂h_t of
 * every step to `onStepGradients`), recorded tfjs ops when the backward pass is itself
 * differentiated.
 *
 * @internal
 */
export function fusedGru(
  u: tf.Tensor3D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
  onStepGradients?: StepGradients,
): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [uIn, wIn, bIn, h0In, save] = args as [
      tf.Tensor3D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor2D,
      tf.GradSaveFunc,
    ];
    const [h, saved] = tf
      .engine()
      .runKernel(GRU_SEQUENCE, { u: uIn, w: wIn, b: bIn, h0: h0In }) as tf.Tensor[];
    save([uIn, wIn, bIn, h0In, h as tf.Tensor, saved as tf.Tensor]);
    return {
      value: h as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [us, ws, bs, h0s, hs, ss] = kept as [
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
        ];
        if (backwardIsRecorded()) {
          const r = recordedBackward(dy as tf.Tensor3D, us, ws, bs, h0s);
          onStepGradients?.(r.dhTotal);
          return [r.du, r.dw, r.db, r.dh0];
        }
        const [du, dw, db, dh0, dhTotal] = tf
          .engine()
          .runKernel(
            GRU_SEQUENCE_GRAD,
            { dh: dy, h: hs, saved: ss, w: ws, h0: h0s },
            { stepGradients: onStepGradients !== undefined },
          ) as tf.Tensor[];
        if (onStepGradients !== undefined) onStepGradients(dhTotal as tf.Tensor);
        return [du as tf.Tensor, dw as tf.Tensor, db as tf.Tensor, dh0 as tf.Tensor];
      },
    };
  });
  return op(u, w, b, h0) as tf.Tensor3D;
}

/** Backpropagation through time as recorded tfjs ops from the saved inputs (differentiable). */
function recordedBackward(
  dy: tf.Tensor3D,
  u: tf.Tensor3D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
): { du: tf.Tensor; dw: tf.Tensor; db: tf.Tensor; dh0: tf.Tensor; dhTotal: tf.Tensor } {
  const T = u.shape[1];
  const us = unstack(u, 1) as tf.Tensor2D[];
  const dys = unstack(dy, 1) as tf.Tensor2D[];
  const hs: tf.Tensor2D[] = [h0];
  const gates: tf.Tensor2D[][] = [];
  for (let t = 0; t < T; t++) {
    const y = tf.add(tf.matMul(hs[t] as tf.Tensor2D, w), b);
    const [ur, uz, un] = tf.split(us[t] as tf.Tensor2D, 3, 1) as tf.Tensor2D[];
    const [yr, yz, yn] = tf.split(y, 3, 1) as tf.Tensor2D[];
    const r = tf.sigmoid(tf.add(ur as tf.Tensor2D, yr as tf.Tensor2D)) as tf.Tensor2D;
    const z = tf.sigmoid(tf.add(uz as tf.Tensor2D, yz as tf.Tensor2D)) as tf.Tensor2D;
    const n = tf.tanh(tf.add(un as tf.Tensor2D, tf.mul(r, yn as tf.Tensor2D))) as tf.Tensor2D;
    gates.push([r, z, n, yn as tf.Tensor2D]);
    hs.push(tf.add(n, tf.mul(z, tf.sub(hs[t] as tf.Tensor2D, n))) as tf.Tensor2D);
  }
  const dus: tf.Tensor2D[] = new Array(T);
  const dhs: tf.Tensor2D[] = new Array(T);
  let dw: tf.Tensor2D | undefined;
  let db: tf.Tensor | undefined;
  let g: tf.Tensor2D | undefined;
  for (let t = T - 1; t >= 0; t--) {
    const d = g === undefined ? (dys[t] as tf.Tensor2D) : (tf.add(dys[t] as tf.Tensor2D, g) as tf.Tensor2D);
    dhs[t] = d;
    const [r, z, n, yn] = gates[t] as tf.Tensor2D[];
    const one = (x: tf.Tensor) => tf.sub(1, x);
    const an = tf.mul(tf.mul(d, one(z as tf.Tensor2D)), one(tf.square(n as tf.Tensor2D)));
    const ar = tf.mul(tf.mul(an, yn as tf.Tensor2D), tf.mul(r as tf.Tensor2D, one(r as tf.Tensor2D)));
    const az = tf.mul(
      tf.mul(d, tf.sub(hs[t] as tf.Tensor2D, n as tf.Tensor2D)),
      tf.mul(z as tf.Tensor2D, one(z as tf.Tensor2D)),
    );
    dus[t] = tf.concat([ar, az, an], 1) as tf.Tensor2D;
    const dY = tf.concat([ar, az, tf.mul(an, r as tf.Tensor2D)], 1) as tf.Tensor2D;
    const dwt = tf.matMul(hs[t] as tf.Tensor2D, dY, true, false) as tf.Tensor2D;
    dw = dw === undefined ? dwt : (tf.add(dw, dwt) as tf.Tensor2D);
    const dbt = tf.sum(dY, 0);
    db = db === undefined ? dbt : tf.add(db, dbt);
    g = tf.add(tf.matMul(dY, w, false, true), tf.mul(d, z as tf.Tensor2D)) as tf.Tensor2D;
  }
  return {
    du: tf.stack(dus, 1),
    dw: dw as tf.Tensor2D,
    db: db as tf.Tensor,
    dh0: g as tf.Tensor2D,
    dhTotal: tf.stack(dhs, 0),
  };
}

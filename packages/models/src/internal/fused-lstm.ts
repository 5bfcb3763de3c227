import { LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD } from '@gflow/core/internal';
import { backwardIsRecorded } from '@gflow/core/internal/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { StepGradients } from '../module.js';
import { kernelsAvailable } from './kernels-available.js';
import { unstack } from './unstack.js';

/** Whether the engine in use has both fused LSTM kernels (`@gflow/backend` registers them for wasm). */
export function fusedLstmAvailable(): boolean {
  return kernelsAvailable(LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD);
}

/**
 * A whole LSTM layer (gate order i, f, g, o; c₀ = 0) recorded by tfjs as ONE op: u [batch,
 * steps, 4·hidden] (the projected inputs), w [hidden, 4·hidden], h0 [batch, hidden] → h [batch,
 * steps, hidden]. As {@link fusedTanhRnn}: one `GflowLstmSequence` kernel forward, one
 * `GflowLstmSequenceGrad` kernel for a first-order backward pass (handing ∂L/∂h_t of every step
 * to `onStepGradients`), and recorded tfjs ops recomputed from the saved inputs when the backward
 * pass is itself differentiated.
 *
 * @internal
 */
export function fusedLstm(
  u: tf.Tensor3D,
  w: tf.Tensor2D,
  h0: tf.Tensor2D,
  onStepGradients?: StepGradients,
): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [uIn, wIn, h0In, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const [h, gates, c] = tf.engine().runKernel(LSTM_SEQUENCE, { u: uIn, w: wIn, h0: h0In }) as tf.Tensor[];
    save([uIn, wIn, h0In, h as tf.Tensor, gates as tf.Tensor, c as tf.Tensor]);
    return {
      value: h as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [us, ws, h0s, hs, gs, cs] = saved as [
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
        ];
        if (backwardIsRecorded()) {
          const r = recordedBackward(dy as tf.Tensor3D, us, ws, h0s);
          onStepGradients?.(r.dhTotal);
          return [r.du, r.dw, r.dh0];
        }
        const [du, dw, dh0, dhTotal] = tf
          .engine()
          .runKernel(
            LSTM_SEQUENCE_GRAD,
            { dh: dy, h: hs, gates: gs, c: cs, w: ws, h0: h0s },
            { stepGradients: onStepGradients !== undefined },
          ) as tf.Tensor[];
        if (onStepGradients !== undefined) onStepGradients(dhTotal as tf.Tensor);
        return [du as tf.Tensor, dw as tf.Tensor, dh0 as tf.Tensor];
      },
    };
  });
  return op(u, w, h0) as tf.Tensor3D;
}

/** Backpropagation through time as recorded tfjs ops from the saved inputs (differentiable). */
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
  const cs: tf.Tensor2D[] = [tf.zerosLike(h0)];
  const gates: tf.Tensor2D[][] = [];
  for (let t = 0; t < T; t++) {
    const z = tf.add(us[t] as tf.Tensor2D, tf.matMul(hs[t] as tf.Tensor2D, w));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
    const gi = tf.sigmoid(zi as tf.Tensor2D) as tf.Tensor2D;
    const gf = tf.sigmoid(zf as tf.Tensor2D) as tf.Tensor2D;
    const gg = tf.tanh(zg as tf.Tensor2D) as tf.Tensor2D;
    const go = tf.sigmoid(zo as tf.Tensor2D) as tf.Tensor2D;
    const c = tf.add(tf.mul(gf, cs[t] as tf.Tensor2D), tf.mul(gi, gg)) as tf.Tensor2D;
    gates.push([gi, gf, gg, go]);
    cs.push(c);
    hs.push(tf.mul(go, tf.tanh(c)) as tf.Tensor2D);
  }
  const dus: tf.Tensor2D[] = new Array(T);
  const dhs: tf.Tensor2D[] = new Array(T);
  let dw: tf.Tensor2D | undefined;
  let g: tf.Tensor2D | undefined;
  let dcNext: tf.Tensor2D | undefined;
  for (let t = T - 1; t >= 0; t--) {
    const d = g === undefined ? (dys[t] as tf.Tensor2D) : (tf.add(dys[t] as tf.Tensor2D, g) as tf.Tensor2D);
    dhs[t] = d;
    const [gi, gf, gg, go] = gates[t] as tf.Tensor2D[];
    const tc = tf.tanh(cs[t + 1] as tf.Tensor2D);
    let dc = tf.mul(tf.mul(d, go as tf.Tensor2D), tf.sub(1, tf.square(tc)));
    if (dcNext !== undefined) dc = tf.add(dc, dcNext);
    const one = (x: tf.Tensor) => tf.sub(1, x);
    const zi = tf.mul(tf.mul(dc, gg as tf.Tensor2D), tf.mul(gi as tf.Tensor2D, one(gi as tf.Tensor2D)));
    const zf = tf.mul(tf.mul(dc, cs[t] as tf.Tensor2D), tf.mul(gf as tf.Tensor2D, one(gf as tf.Tensor2D)));
    const zg = tf.mul(tf.mul(dc, gi as tf.Tensor2D), one(tf.square(gg as tf.Tensor2D)));
    const zo = tf.mul(tf.mul(d, tc), tf.mul(go as tf.Tensor2D, one(go as tf.Tensor2D)));
    const dz = tf.concat([zi, zf, zg, zo], 1) as tf.Tensor2D;
    dus[t] = dz;
    dcNext = tf.mul(dc, gf as tf.Tensor2D) as tf.Tensor2D;
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

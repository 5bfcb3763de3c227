// L(θ) = ½ θᵀ A θ + bᵀ θ over parameters split into a [2, 3] kernel and a [3] bias, with A and b
// known, so that losses along lines and planes, gradients and the Hessian (= A) have closed forms.
import type { Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { variableOf } from './models.js';

export interface Quadratic {
  params: Parameter[];
  lossFn: () => tf.Scalar;
  A: number[][];
  b: number[];
  theta: number[];
  /** The loss at a float64 point. */
  at(theta: readonly number[]): number;
  dispose(): void;
}

let n = 0;
export function quadratic(A: number[][], b: number[], theta: number[]): Quadratic {
  n++;
  const kernel = variableOf(theta.slice(0, 6), [2, 3], `q${n}.kernel`);
  const bias = variableOf(theta.slice(6, 9), [3], `q${n}.bias`);
  const At = tf.tensor2d(A);
  const bt = tf.tensor2d(b, [9, 1]);
  const params: Parameter[] = [
    { name: 'kernel', role: 'kernel', variable: kernel },
    { name: 'bias', role: 'bias', variable: bias },
  ];
  const lossFn = () =>
    tf.tidy(() => {
      const t = tf.reshape(tf.concat([tf.reshape(kernel, [-1]), bias]), [9, 1]);
      return tf.add(tf.mul(0.5, tf.sum(tf.mul(t, tf.matMul(At, t)))), tf.sum(tf.mul(bt, t))) as tf.Scalar;
    });
  const at = (th: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < 9; i++) {
      s += b[i]! * th[i]!;
      for (let j = 0; j < 9; j++) s += 0.5 * th[i]! * A[i]![j]! * th[j]!;
    }
    return s;
  };
  return {
    params,
    lossFn,
    A,
    b,
    theta,
    at,
    dispose: () => {
      kernel.dispose();
      bias.dispose();
      At.dispose();
      bt.dispose();
    },
  };
}

/** A symmetric 9 × 9 matrix diag(d) + u uᵀ. */
export function diagPlusRankOne(d: number[], u: number[]): number[][] {
  return d.map((di, i) => d.map((_, j) => (i === j ? di : 0) + u[i]! * u[j]!));
}

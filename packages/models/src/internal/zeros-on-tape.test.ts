import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { zerosOnTape } from './zeros-on-tape.js';

/** An identity whose gradient function records dy and passes `scale`·dy on (Infinity makes it Inf). */
function hook(seen: number[][], scale = 1): (t: tf.Tensor) => tf.Tensor {
  return (t) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        seen.push(Array.from(dy.dataSync()));
        return tf.mul(dy, scale);
      },
    }))(t);
}

describe('zerosOnTape', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('is exactly zero, and a hook on it sees dy only because it is anchored', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2, 3]]), true, 'zerosOnTape.w'));
    // L = Σ (z + 1)·c·w with z the zeros: ∂L/∂z = c·w, whatever z's value
    const c = tf.tensor2d([[0.5, 4, -1]]);
    const loss = (z: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.mul(tf.add(z, 1), c), w));
    for (const anchored of [false, true]) {
      const seen: number[][] = [];
      tf.tidy(() => {
        const r = tf.variableGrads(() => {
          const z = anchored ? zerosOnTape([1, 3], [w]) : tf.zeros([1, 3]);
          expect(Array.from(z.dataSync())).toEqual([0, 0, 0]);
          return loss(hook(seen)(z));
        }, [w]);
        // ∂L/∂w = c exactly: the anchor adds an exact 0
        expect(Array.from((r.grads[w.name] as tf.Tensor).dataSync())).toEqual([0.5, 4, -1]);
      });
      // c·w = [0.5, −8, −3]
      expect(seen).toEqual(anchored ? [[0.5, -8, -3]] : []);
    }
    tf.dispose([w, c]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns exact zeros to its anchors even when dy is infinite (not 0·dy = NaN)', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2]]), true, 'zerosOnTape.inf'));
    tf.tidy(() => {
      const r = tf.variableGrads(() => {
        const z = hook([], Number.POSITIVE_INFINITY)(zerosOnTape([1, 2], [w]));
        return tf.sum(tf.add(z, w));
      }, [w]);
      // ∂L/∂w = 1 through the sum; the anchor path returns 0 although its dy is +Infinity
      expect(Array.from((r.grads[w.name] as tf.Tensor).dataSync())).toEqual([1, 1]);
    });
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is plain zeros with no anchors', () => {
    const before = tf.memory().numTensors;
    const z = zerosOnTape([2, 2], []);
    expect(z.shape).toEqual([2, 2]);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0]);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

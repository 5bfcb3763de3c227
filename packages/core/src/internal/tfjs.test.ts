import { UnsupportedError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  aliasTensor,
  backendInitialized,
  backwardIsRecorded,
  checkTfjsVersion,
  KNOWN_TFJS_VERSIONS,
  registeredVariable,
  setOptimizerIterations,
} from './tfjs.js';

describe('checkTfjsVersion', () => {
  it('accepts the loaded tfjs-core, which is one it knows', () => {
    expect(KNOWN_TFJS_VERSIONS).toContain(tf.version_core.split('.').slice(0, 2).join('.'));
    expect(() => checkTfjsVersion()).not.toThrow();
    expect(() => checkTfjsVersion('4.22.7')).not.toThrow();
  });

  it('names the version it got and the versions it knows for any other', () => {
    for (const v of ['4.23.0', '5.0.0', '4.2.0', '3.22.0', 'nonsense', '']) {
      expect(() => checkTfjsVersion(v)).toThrow(UnsupportedError);
      expect(() => checkTfjsVersion(v)).toThrow(/checkTfjsVersion: version is .* tfjs-core 4\.22\.x/);
    }
  });
});

describe('the engine internals', () => {
  it('read the state of tfjs 4.22 as documented', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    expect(backendInitialized('cpu')).toBe(true);
    expect(backendInitialized('no-such-engine')).toBe(false);

    // Outside a gradient nothing records; inside the backward pass of a gradient of a gradient
    // the engine does (gradientDepth > 0).
    expect(backwardIsRecorded()).toBe(false);
    const seen: boolean[] = [];
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor;
      return {
        value: tf.mul(x, x),
        gradFunc: (dy: tf.Tensor) => {
          seen.push(backwardIsRecorded());
          return tf.mul(dy, tf.mul(x, 2));
        },
      };
    });
    const x = tf.scalar(3);
    const g = tf.grad((v: tf.Tensor) => f(v) as tf.Tensor)(x);
    const gg = tf.grad((v: tf.Tensor) => tf.grad((w: tf.Tensor) => f(w) as tf.Tensor)(v))(x);
    expect(seen).toEqual([false, true]);
    expect(g.dataSync()[0]).toBe(6); // d(x²)/dx at 3
    expect(gg.dataSync()[0]).toBe(2); // d²(x²)/dx²

    const init = tf.tensor1d([1, 2]);
    const v = tf.variable(init, true, 'tfjs-internals-test-v');
    expect(registeredVariable('tfjs-internals-test-v')).toBe(v);
    expect(registeredVariable('tfjs-internals-test-none')).toBeUndefined();

    // An alias shares the data and survives the original's disposal.
    const a = tf.tensor1d([4, 5, 6]);
    const b = aliasTensor(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([4, 5, 6]);

    const opt = tf.train.sgd(0.1);
    setOptimizerIterations(opt, 7);
    expect(opt.iterations).toBe(7);

    tf.dispose([x, g, gg, init, v, b]);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

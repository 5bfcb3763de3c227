import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSecondOrderGradients } from './second-order-check.js';

beforeAll(async () => {
  await initBackend();
});

describe('checkSecondOrderGradients', () => {
  it("passes every kernel probe once @gflow/backend's gradients are registered, and flags tf.logSoftmax", () => {
    const before = tf.memory().numTensors;
    const r = checkSecondOrderGradients({ refresh: true });
    const byName = Object.fromEntries(r.probes.map((p) => [p.name, p]));
    for (const name of ['tanh', 'sigmoid', 'exp', 'softmax', 'conv2d (filter)', 'conv2d (input)']) {
      expect(byName[name]?.ok, name).toBe(true);
      expect(byName[name]?.relativeError).toBeLessThan(1e-3);
    }
    // tf.logSoftmax is a customGrad: its gradient is detached from the graph, whatever is registered.
    expect(byName.logSoftmax?.ok).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.exactTrusted).toBe(true);
    expect(r.backend).toBe(tf.getBackend());
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('caches its result until the backend or a gradient registration changes', () => {
    const a = checkSecondOrderGradients();
    expect(checkSecondOrderGradients()).toBe(a);
    const original = tf.getGradient('Exp');
    if (original) tf.registerGradient({ ...original });
    try {
      expect(checkSecondOrderGradients()).not.toBe(a);
    } finally {
      if (original) tf.registerGradient(original);
    }
  });
});

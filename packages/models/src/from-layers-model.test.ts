import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromLayersModel } from './from-layers-model.js';
import { gradCheck, seededNormal } from './test-utils/gradcheck.js';

describe('fromLayersModel', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('wraps a Sequential model: same outputs, named parameters, every layer tapped, correct gradients', () => {
    const before = tf.memory().numTensors;
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [4], activation: 'tanh', name: 'hidden' }),
        tf.layers.dropout({ rate: 0.5, name: 'drop' }),
        tf.layers.dense({ units: 2, name: 'out' }),
      ],
    });
    const m = fromLayersModel(model);
    expect(m.parameters().map((p) => [p.name, p.role])).toEqual([
      ['hidden.kernel', 'kernel'],
      ['hidden.bias', 'bias'],
      ['out.kernel', 'kernel'],
      ['out.bias', 'bias'],
    ]);
    const x = seededNormal([3, 4], 1);
    const taps: string[] = [];
    tf.tidy(() => {
      const y = m.apply(x, {
        training: false,
        tap: (n, t) => {
          taps.push(n);
          return t;
        },
      });
      const ref = model.predict(x) as tf.Tensor;
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
    });
    expect(taps).toEqual(['layers.hidden', 'layers.drop', 'layers.out']);
    const r = seededNormal([3, 2], 2);
    const { mismatches } = gradCheck(() => tf.sum(tf.mul(m.apply(x), r)), m.parameters(), { coords: 3 });
    expect(mismatches).toEqual([]);
    // the parameters are the model's own variables
    expect(m.parameters()[0]?.variable).toBe(model.layers[0]?.trainableWeights[0]?.read());
    tf.dispose([x, r]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('wraps a functional model with Add and Concatenate', () => {
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [3] });
    const a = tf.layers.dense({ units: 4, activation: 'relu', name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, a]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, name: 'head' }).apply(cat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const m = fromLayersModel(model);
    const taps: string[] = [];
    const x = seededNormal([5, 3], 3);
    tf.tidy(() => {
      const y = m.apply(x, {
        training: false,
        tap: (n, t) => {
          taps.push(n);
          return t;
        },
      });
      expect(Array.from(y.dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    });
    // every layer output once (the shared 'a' is computed once), in a topological order
    expect([...taps].sort()).toEqual(['layers.a', 'layers.b', 'layers.cat', 'layers.head', 'layers.sum']);
    expect(taps.indexOf('layers.sum')).toBeGreaterThan(taps.indexOf('layers.b'));
    expect(taps.at(-1)).toBe('layers.head');
    expect(m.parameters().map((p) => p.name)).toEqual([
      'a.kernel',
      'a.bias',
      'b.kernel',
      'b.bias',
      'head.kernel',
      'head.bias',
    ]);
    const wrong = tf.zeros([2, 4]);
    expect(() => m.apply(wrong)).toThrow(/x must have shape \[any, 3\], got \[2, 4\]/);
    tf.dispose([x, wrong]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects multi-input models and non-models', () => {
    const i1 = tf.input({ shape: [2] });
    const i2 = tf.input({ shape: [2] });
    const s = tf.layers.add().apply([i1, i2]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [i1, i2], outputs: s });
    expect(() => fromLayersModel(model)).toThrow(
      /fromLayersModel: model must have one input and one output, got 2 inputs and 1 outputs/,
    );
    expect(() => fromLayersModel({} as tf.LayersModel)).toThrow(
      /fromLayersModel: model must be a tf\.LayersModel, got \{\}/,
    );
    model.dispose();
  });
});

import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  activationLayer,
  dense,
  denseMLP,
  fromLayersModel,
  gru,
  highwayMLP,
  highwayRNN,
  kroneckerRNN,
  lstm,
  type Model,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
  residualRNN,
  sequential,
  transformerStack,
  unitaryRNN,
  vanillaRNN,
} from './index.js';
import { gradCheck, seededNormal } from './test-utils/gradcheck.js';

interface Family {
  readonly name: string;
  readonly build: (seed: number) => Model;
  readonly input: () => tf.Tensor;
  readonly taps: readonly string[];
  readonly conv?: boolean;
}

const ff = { depth: 2, width: 4, inputSize: 3, outputSize: 2, activation: 'tanh' as const };
const rec = { inputSize: 2, hiddenSize: 4, outputSize: 2 };
const vec = (): tf.Tensor => seededNormal([3, 3], 11);
const seq = (): tf.Tensor => seededNormal([2, 3, 2], 12);
const img = (): tf.Tensor => seededNormal([2, 4, 4, 2], 13);
const ffTaps = ['blocks.0', 'blocks.1'];
const rTaps = ['h.init', 'h.0', 'h.1', 'h.2'];

const families: readonly Family[] = [
  { name: 'plainMLP', build: (seed) => plainMLP({ ...ff, seed }), input: vec, taps: ffTaps },
  {
    name: 'plainMLP+batch',
    build: (seed) => plainMLP({ ...ff, norm: 'batch', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'plainMLP+layer',
    build: (seed) => plainMLP({ ...ff, norm: 'layer', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'plainMLP+group',
    build: (seed) => plainMLP({ ...ff, norm: 'group', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'plainMLP+weight',
    build: (seed) => plainMLP({ ...ff, norm: 'weight', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'residualMLP+weight',
    build: (seed) => residualMLP({ ...ff, norm: 'weight', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'plainConvNet+group',
    build: (seed) =>
      plainConvNet({
        depth: 2,
        channels: 2,
        inputChannels: 2,
        outputSize: 2,
        activation: 'tanh',
        norm: 'group',
        seed,
      }),
    input: img,
    taps: ffTaps,
    conv: true,
  },
  {
    name: 'plainConvNet',
    build: (seed) =>
      plainConvNet({ depth: 2, channels: 2, inputChannels: 2, outputSize: 2, activation: 'tanh', seed }),
    input: img,
    taps: ffTaps,
    conv: true,
  },
  {
    name: 'residualMLP pre',
    build: (seed) => residualMLP({ ...ff, norm: 'layer', seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'residualMLP post',
    build: (seed) =>
      residualMLP({ ...ff, variant: 'post-activation', norm: 'batch', branchScale: 0.5, seed }),
    input: vec,
    taps: ffTaps,
  },
  {
    name: 'residualConvNet',
    build: (seed) =>
      residualConvNet({
        depth: 2,
        channels: 2,
        inputChannels: 2,
        outputSize: 2,
        activation: 'tanh',
        norm: 'batch',
        seed,
      }),
    input: img,
    taps: ffTaps,
    conv: true,
  },
  {
    name: 'highwayMLP',
    build: (seed) => highwayMLP({ ...ff, gateBias: -1, seed }),
    input: vec,
    taps: ffTaps,
  },
  { name: 'denseMLP', build: (seed) => denseMLP({ ...ff, norm: 'layer', seed }), input: vec, taps: ffTaps },
  {
    name: 'transformerStack pre',
    build: (seed) => transformerStack({ depth: 2, width: 4, heads: 2, inputSize: 2, outputSize: 2, seed }),
    input: seq,
    taps: ['layers.0.attn', 'layers.0.mlp', 'layers.1.attn', 'layers.1.mlp'],
  },
  {
    name: 'transformerStack post causal',
    build: (seed) => transformerStack({ depth: 1, width: 4, norm: 'post', causal: true, inputSize: 2, seed }),
    input: seq,
    taps: ['layers.0.attn', 'layers.0.mlp'],
  },
  { name: 'vanillaRNN', build: (seed) => vanillaRNN({ ...rec, seed }), input: seq, taps: rTaps },
  {
    name: 'vanillaRNN stacked',
    build: (seed) => vanillaRNN({ ...rec, layers: 2, returnSequences: true, seed }),
    input: seq,
    taps: [
      'layers.0.h.init',
      'layers.0.h.0',
      'layers.0.h.1',
      'layers.0.h.2',
      'layers.1.h.init',
      'layers.1.h.0',
      'layers.1.h.1',
      'layers.1.h.2',
    ],
  },
  {
    name: 'residualRNN',
    build: (seed) => residualRNN({ ...rec, branchScale: 0.5, seed }),
    input: seq,
    taps: rTaps,
  },
  { name: 'highwayRNN', build: (seed) => highwayRNN({ ...rec, seed }), input: seq, taps: rTaps },
  { name: 'lstm', build: (seed) => lstm({ ...rec, seed }), input: seq, taps: rTaps },
  { name: 'lstm chrono', build: (seed) => lstm({ ...rec, chrono: 10, seed }), input: seq, taps: rTaps },
  { name: 'gru', build: (seed) => gru({ ...rec, chrono: 10, seed }), input: seq, taps: rTaps },
  {
    name: 'orthogonalRNN householder',
    build: (seed) => orthogonalRNN({ ...rec, parametrization: 'householder', activation: 'tanh', seed }),
    input: seq,
    taps: rTaps,
  },
  {
    name: 'orthogonalRNN cayley',
    build: (seed) => orthogonalRNN({ ...rec, parametrization: 'cayley', activation: 'tanh', seed }),
    input: seq,
    taps: rTaps,
  },
  { name: 'orthogonalRNN exp', build: (seed) => orthogonalRNN({ ...rec, seed }), input: seq, taps: rTaps },
  { name: 'unitaryRNN', build: (seed) => unitaryRNN({ ...rec, seed }), input: seq, taps: rTaps },
  { name: 'kroneckerRNN', build: (seed) => kroneckerRNN({ ...rec, seed }), input: seq, taps: rTaps },
  {
    name: 'fromLayersModel',
    build: (seed) => {
      const input = tf.input({ shape: [3] });
      const a = tf.layers
        .dense({
          units: 4,
          activation: 'tanh',
          name: 'a',
          kernelInitializer: tf.initializers.glorotNormal({ seed }),
        })
        .apply(input) as tf.SymbolicTensor;
      const b = tf.layers
        .dense({ units: 4, name: 'b', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) })
        .apply(input) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
      const out = tf.layers
        .dense({ units: 2, name: 'out', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) })
        .apply(sum) as tf.SymbolicTensor;
      const lm = tf.model({ inputs: input, outputs: out });
      const m = fromLayersModel(lm);
      return {
        name: m.name,
        parameters: () => m.parameters(),
        apply: (x, c) => m.apply(x, c),
        dispose: () => lm.dispose(),
      };
    },
    input: vec,
    taps: ['layers.a', 'layers.b', 'layers.sum', 'layers.out'],
  },
  {
    name: 'sequential',
    build: (seed) =>
      sequential(
        dense({ inputSize: 3, outputSize: 4, seed, name: 'fc1' }),
        activationLayer('mish'),
        dense({ inputSize: 4, outputSize: 2, seed, name: 'fc2' }),
      ),
    input: vec,
    taps: ['blocks.0', 'blocks.1', 'blocks.2'],
  },
];

/** Loss Σ y·r for a fixed random r (so every output matters). */
function lossOf(model: Model, x: tf.Tensor, training: boolean): () => tf.Scalar {
  return () => {
    const y = model.apply(x, { training, tap: (_n, t) => t });
    const r = seededNormal(y.shape, 99);
    return tf.sum(tf.mul(y, r));
  };
}

const convKernel = (): boolean => tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;

describe('every family', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const fam of families) {
    describe(fam.name, () => {
      it('taps every point in order, names parameters uniquely and stably, and is seeded', () => {
        const before = tf.memory().numTensors;
        const a = fam.build(1);
        const b = fam.build(1);
        const c = fam.build(2);
        const x = fam.input();
        const seen: string[] = [];
        const y = a.apply(x, {
          training: false,
          tap: (n, t) => {
            seen.push(n);
            return t;
          },
        });
        expect(seen).toEqual(fam.taps);
        const names = a.parameters().map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(b.parameters().map((p) => p.name)).toEqual(names);
        // same seed ⇒ identical weights; another seed ⇒ different ones
        let differs = false;
        a.parameters().forEach((p, i) => {
          const q = b.parameters()[i];
          const r = c.parameters()[i];
          expect(Array.from(p.variable.dataSync())).toEqual(Array.from(q?.variable.dataSync() ?? []));
          if (p.variable.dataSync().some((v, j) => v !== r?.variable.dataSync()[j])) differs = true;
        });
        expect(differs).toBe(true);
        expect(y.dtype).toBe('float32');
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
        x.dispose();
        a.dispose();
        b.dispose();
        c.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

      it('has gradients that match central finite differences', () => {
        const before = tf.memory().numTensors;
        const m = fam.build(3);
        const x = fam.input();
        let params = m.parameters();
        if (fam.conv && !convKernel())
          params = params.filter((p) => !p.name.includes('conv') && !p.name.startsWith('stem'));
        // training mode for batch statistics (the running stats move but do not enter the loss)
        const { mismatches, checked } = gradCheck(lossOf(m, x, true), params, { coords: 2 });
        expect(checked).toBeGreaterThan(0);
        expect(mismatches).toEqual([]);
        x.dispose();
        m.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

      it('leaks no tensor across 100 forward and backward passes', () => {
        const m = fam.build(4);
        const x = fam.input();
        const vars = fam.conv && !convKernel() ? [] : m.parameters().map((p) => p.variable);
        const pass = (): void =>
          tf.tidy(() => {
            const f = lossOf(m, x, true);
            if (vars.length > 0) {
              const { value, grads } = tf.variableGrads(f, vars);
              value.dispose();
              for (const g of Object.values(grads)) g.dispose();
            } else {
              tf.grad((xx: tf.Tensor) => tf.sum(m.apply(xx, { training: true, tap: (_n, t) => t })))(x);
            }
          });
        pass();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 100; i++) pass();
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
        m.dispose();
      });
    });
  }
});

describe('conv builders without bias', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('plainConvNet({ bias: false }) is relu(conv(relu(conv(x)))) with the kernels alone, by tf.conv2d', () => {
    const before = tf.memory().numTensors;
    const m = plainConvNet({ depth: 2, channels: 3, inputChannels: 2, bias: false, seed: 5 });
    expect(m.parameters().map((p) => p.name)).toEqual(['blocks.0.conv.kernel', 'blocks.1.conv.kernel']);
    const [k0, k1] = m.parameters().map((p) => p.variable as tf.Tensor4D);
    const x = seededNormal([2, 4, 4, 2], 21) as tf.Tensor4D;
    const diff = tf.tidy(() => {
      const byHand = tf.relu(tf.conv2d(tf.relu(tf.conv2d(x, k0!, 1, 'same')), k1!, 1, 'same'));
      return tf.max(tf.abs(tf.sub(m.apply(x), byHand))).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-6);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('plainConvNet({ convsPerBlock: 2 }) is relu(conv(relu(conv(x)))) per block, tapped once per block, by tf.conv2d', () => {
    const before = tf.memory().numTensors;
    const m = plainConvNet({
      depth: 2,
      channels: 3,
      inputChannels: 2,
      bias: false,
      convsPerBlock: 2,
      seed: 5,
    });
    expect(m.parameters().map((p) => p.name)).toEqual([
      'blocks.0.conv1.kernel',
      'blocks.0.conv2.kernel',
      'blocks.1.conv1.kernel',
      'blocks.1.conv2.kernel',
    ]);
    const ks = m.parameters().map((p) => p.variable as tf.Tensor4D);
    const x = seededNormal([2, 4, 4, 2], 22) as tf.Tensor4D;
    const taps: string[] = [];
    const diff = tf.tidy(() => {
      let byHand: tf.Tensor4D = x;
      for (const k of ks) byHand = tf.relu(tf.conv2d(byHand, k, 1, 'same'));
      const y = m.apply(x, {
        training: true,
        tap: (name, t) => {
          taps.push(name);
          return t;
        },
      });
      return tf.max(tf.abs(tf.sub(y, byHand))).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-6);
    expect(taps).toEqual(['blocks.0', 'blocks.1']);
    expect(() => plainConvNet({ depth: 1, channels: 2, inputChannels: 2, convsPerBlock: 0 })).toThrow(
      /plainConvNet: options\.convsPerBlock must be/,
    );
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('residualConvNet({ stem: false }) is relu(x + conv(relu(conv(x)))) per block with no stem; channels must match', () => {
    const before = tf.memory().numTensors;
    const m = residualConvNet({
      depth: 2,
      channels: 3,
      inputChannels: 3,
      bias: false,
      stem: false,
      variant: 'post-activation',
      seed: 6,
    });
    expect(m.parameters().map((p) => p.name)).toEqual([
      'blocks.0.conv1.kernel',
      'blocks.0.conv2.kernel',
      'blocks.1.conv1.kernel',
      'blocks.1.conv2.kernel',
    ]);
    const ks = m.parameters().map((p) => p.variable as tf.Tensor4D);
    const x = seededNormal([2, 4, 4, 3], 23) as tf.Tensor4D;
    const diff = tf.tidy(() => {
      let h: tf.Tensor4D = x;
      for (let b = 0; b < 2; b++) {
        const r = tf.conv2d(tf.relu(tf.conv2d(h, ks[2 * b]!, 1, 'same')), ks[2 * b + 1]!, 1, 'same');
        h = tf.relu(tf.add(h, r)) as tf.Tensor4D;
      }
      return tf.max(tf.abs(tf.sub(m.apply(x), h))).dataSync()[0]!;
    });
    expect(diff).toBeLessThan(1e-6);
    expect(() => residualConvNet({ depth: 1, channels: 4, inputChannels: 3, stem: false })).toThrow(
      /residualConvNet: options\.inputChannels must equal options\.channels \(4\) when options\.stem is false, got 3/,
    );
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('residualConvNet({ bias: false }) has no bias anywhere (stem, blocks); bias must be a boolean', () => {
    const m = residualConvNet({ depth: 2, channels: 3, inputChannels: 2, norm: 'batch', bias: false });
    expect(m.parameters().some((p) => p.role === 'bias')).toBe(false);
    expect(m.parameters().some((p) => p.name.startsWith('stem'))).toBe(true);
    m.dispose();
    expect(() =>
      plainConvNet({ depth: 1, channels: 2, inputChannels: 2, bias: 'no' as unknown as boolean }),
    ).toThrow(/plainConvNet: options\.bias must be true or false, got "no"/);
  });
});

import { initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Model, plainConvNet, residualConvNet } from './index.js';
import { families } from './test-utils/families.js';
import { gradCheck, seededNormal } from './test-utils/gradcheck.js';

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

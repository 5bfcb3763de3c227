import { initBackend } from '@gflow/backend';
import { families } from '@gflow/models/test';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientTape } from './gradient-tape.js';

beforeAll(async () => {
  await initBackend();
});

// Every family of @gflow/models, from the table its own family tests use (`@gflow/models/test`).
describe('gradientTape on every model family', () => {
  for (const f of families) {
    it(`${f.name}: taps are recorded and the parameter gradients are tf.variableGrads'`, () => {
      const model = f.build(1);
      const x = f.input();
      const before = tf.memory().numTensors;
      const loss = (y: tf.Tensor) => tf.mul(tf.sum(tf.square(y)), 0.5) as tf.Scalar;
      const tape = gradientTape((ctx) => loss(model.apply(x, ctx)), {
        params: model.parameters(),
        taps: 'tensors',
      });
      const names = tape.tapStats.map((s) => s.name);
      for (const t of f.taps) expect(names).toContain(t);
      for (const s of tape.tapStats) {
        if (s.gradNorm === null) continue;
        expect(Number.isFinite(s.gradNorm)).toBe(true);
        // Reference: the float64 norm of the tap's float32 gradient, summed on the host.
        const g = tape.tapGrads[s.name]!;
        const n = Math.sqrt(Array.from(g.dataSync()).reduce((a, v) => a + v * v, 0));
        expect(Math.abs(s.gradNorm / n - 1)).toBeLessThan(1e-6);
      }
      // Every tap, the recurrent models' h.init included (∂L/∂h₀ enters the tape), has a gradient.
      expect(f.taps.every((t) => tape.tapStats.find((s) => s.name === t)!.gradNorm! > 0)).toBe(true);
      // The taps change nothing: the same gradients as without them.
      const ctx = { training: true, tap: (_n: string, t: tf.Tensor) => t };
      const vars = model.parameters().map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => loss(model.apply(x, ctx)), vars);
      for (const p of model.parameters()) {
        const a = tape.paramGrads[p.name];
        const b = grads[p.variable.name];
        if (!a || !b) {
          expect(a === undefined).toBe(b === undefined);
          continue;
        }
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
        expect(d).toBeLessThan(1e-5);
      }
      tf.dispose([value, ...Object.values(grads)]);
      tape.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  }
});

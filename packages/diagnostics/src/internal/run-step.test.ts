import { initBackend } from '@gflow/backend';
import type { Module } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientMonitor } from '../gradient-monitor.js';
import { randomMatrix, tinyMLP } from '../test-utils/tiny.js';
import { createTrainState, disposeTrainState, type TrainStateOptions } from '../train-state.js';
import { type TrainStepOptions, trainStep } from '../train-step.js';
import { TrainingGuard } from '../training-guard.js';
import { clipByGlobalNorm } from '../transforms/clip-by-global-norm.js';
import { clipByValue } from '../transforms/clip-by-value.js';
import { chain, type GradientTransform } from '../transforms/transform.js';
import { normsPathOf, withNormsPath } from './norms-path.js';

// The shared-norm path of a training step: the raw gradients' per-parameter Σg² is computed once
// and feeds the raw global norm, clipByGlobalNorm's scale (through its shared-norms path) and the
// monitor's per-parameter norms.

beforeAll(async () => {
  await initBackend();
});

/**
 * y = x·w + b with w [2, 1], b [1], and the loss L = mean((y − t)²) over the 2 outputs.
 *
 * With x = I₂, t = [[1], [2]], w = [[0.5], [−0.5]], b = [0.25]:
 *   y = [0.75, −0.25], r = y − t = [−0.25, −2.25], ∂L/∂y = (2/2)·r = r,
 *   ∂L/∂w = xᵀr = [[−0.25], [−2.25]]  → Σ(∂L/∂w)² = 0.0625 + 5.0625 = 5.125,
 *   ∂L/∂b = Σr = −2.5                 → Σ(∂L/∂b)² = 6.25,
 *   raw global norm ‖g‖ = √(5.125 + 6.25) = √11.375,
 *   ‖w‖ = √0.5, ‖b‖ = 0.25.
 */
const W0 = [0.5, -0.5];
const B0 = 0.25;
const GW = [-0.25, -2.25];
const GB = -2.5;
const SQ_W = 5.125;
const SQ_B = 6.25;
const GLOBAL = Math.sqrt(SQ_W + SQ_B);

function linear(): Module & { w: tf.Variable; b: tf.Variable; dispose(): void } {
  const tag = Math.random().toString(36).slice(2);
  const w = tf.tidy(() => tf.variable(tf.tensor2d(W0, [2, 1]), true, `lin.w.${tag}`));
  const b = tf.tidy(() => tf.variable(tf.tensor1d([B0]), true, `lin.b.${tag}`));
  return {
    name: 'lin',
    w,
    b,
    parameters: () => [
      { name: 'w', variable: w, role: 'kernel' },
      { name: 'b', variable: b, role: 'bias' },
    ],
    apply: (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    dispose() {
      tf.dispose([w, b]);
    },
  };
}

const mse = (t: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.mean(tf.square(tf.sub(y, t)));

/** trainStep's options and the train state's, as one record (split by {@link stepOnce}). */
type StepOptions = Omit<TrainStepOptions, 'optimizer' | 'loss'> & TrainStateOptions;

/** One trainStep with a fresh train state made from `options`' transform, constraint, schedule. */
function stepOnce(
  model: Module,
  batch: { inputs: tf.Tensor; targets: tf.Tensor },
  options: StepOptions & Pick<TrainStepOptions, 'optimizer' | 'loss'>,
): ReturnType<typeof trainStep> {
  const { transform, constraint, schedule, ...rest } = options;
  const state = createTrainState({
    ...(transform ? { transform } : {}),
    ...(constraint ? { constraint } : {}),
    ...(schedule ? { schedule } : {}),
  });
  try {
    return trainStep(model, batch, state, rest);
  } finally {
    disposeTrainState(state);
  }
}

/** Runs one trainStep of the linear model and hands back the outcome and the new weights. */
function stepLinear(
  options: StepOptions,
  lr = 0.1,
): { outcome: ReturnType<typeof trainStep>; w: number[]; b: number } {
  const model = linear();
  const optimizer = tf.train.sgd(lr);
  const inputs = tf.tensor2d([1, 0, 0, 1], [2, 2]);
  const targets = tf.tensor2d([1, 2], [2, 1]);
  try {
    const outcome = stepOnce(model, { inputs, targets }, { ...options, optimizer, loss: mse });
    return { outcome, w: Array.from(model.w.dataSync()), b: model.b.dataSync()[0] as number };
  } finally {
    tf.dispose([inputs, targets]);
    optimizer.dispose();
    model.dispose();
  }
}

/** Expects no tensor to be left behind by `f` (monitors are disposed inside). */
function leakFree(f: () => void): void {
  const before = tf.memory().numTensors;
  f();
  expect(tf.memory().numTensors).toBe(before);
}

/** Wraps a transform, counting which entry point a step called. */
function counted<S>(
  t: GradientTransform<S>,
): GradientTransform<S> & { calls: { update: number; withNorms: number } } {
  const calls = { update: 0, withNorms: 0 };
  const path = normsPathOf(t);
  const update: GradientTransform<S>['update'] = (g, s, p) => {
    calls.update++;
    return t.update(g, s, p);
  };
  if (path) {
    withNormsPath(update, (g, sq, s, p) => {
      calls.withNorms++;
      return path(g, sq, s, p);
    });
  }
  return { name: t.name, calls, init: (p) => t.init(p), update, dispose: (s) => t.dispose(s) };
}

describe('shared per-parameter squared norms', () => {
  it('clip scale, clip info and the monitor norms equal the hand computation', () =>
    leakFree(() => {
      const monitor = new GradientMonitor({ histogram: false, moments: false, cosine: false });
      const clip = counted(clipByGlobalNorm(1));
      const { outcome, w, b } = stepLinear({ transform: clip, monitor });
      // The hook ran, and update did not: Σg² came from the step's shared vector.
      expect(clip.calls).toEqual({ update: 0, withNorms: 1 });
      const scale = 1 / GLOBAL; // c / max(‖g‖, c) with c = 1 < ‖g‖
      expect(outcome.info['clipByGlobalNorm.norm']).toBeCloseTo(GLOBAL, 5);
      expect(outcome.info['clipByGlobalNorm.scale']).toBeCloseTo(scale, 6);
      // The raw global norm, before clipping, in the outcome and in the record.
      expect(outcome.globalNorm).toBeCloseTo(GLOBAL, 5);
      const rec = outcome.record!;
      expect(rec.globalNorm).toBeCloseTo(GLOBAL, 5);
      // The monitor's per-parameter norms are those of the raw gradient, not the clipped one.
      const [pw, pb] = rec.parameters;
      expect(pw!.name).toBe('w');
      expect(pw!.gradNorm).toBeCloseTo(Math.sqrt(SQ_W), 6);
      expect(pb!.gradNorm).toBeCloseTo(Math.abs(GB), 6);
      expect(pw!.weightNorm).toBeCloseTo(Math.sqrt(0.5), 6);
      expect(pb!.weightNorm).toBeCloseTo(0.25, 6);
      expect(pw!.ratio).toBeCloseTo(Math.sqrt(SQ_W / 0.5), 5);
      expect(pb!.ratio).toBeCloseTo(2.5 / 0.25, 5);
      expect(rec.info).toEqual(outcome.info);
      expect(rec.finite).toBe(true);
      // SGD with the clipped gradient: θ ← θ − 0.1·scale·g.
      expect(w[0]).toBeCloseTo((W0[0] as number) - 0.1 * scale * (GW[0] as number), 6);
      expect(w[1]).toBeCloseTo((W0[1] as number) - 0.1 * scale * (GW[1] as number), 6);
      expect(b).toBeCloseTo(B0 - 0.1 * scale * GB, 6);
      monitor.dispose();
    }));

  it('the hook is used without a monitor too, and the outcome is the same as update gives', () =>
    leakFree(() => {
      const clip = counted(clipByGlobalNorm(1));
      const shared = stepLinear({ transform: clip });
      expect(clip.calls).toEqual({ update: 0, withNorms: 1 });
      // The same transform with its update wrapped goes through update: same numbers.
      const plain = clipByGlobalNorm(1);
      const noHook: GradientTransform<unknown> = {
        ...(plain as GradientTransform<unknown>),
        update: (g, s, p) => plain.update(g, s as never, p),
      };
      const viaUpdate = stepLinear({ transform: noHook });
      expect(shared.outcome.globalNorm).toBeCloseTo(viaUpdate.outcome.globalNorm, 5);
      expect(shared.outcome.info['clipByGlobalNorm.norm']).toBeCloseTo(
        viaUpdate.outcome.info['clipByGlobalNorm.norm']!,
        5,
      );
      expect(shared.w[0]).toBeCloseTo(viaUpdate.w[0]!, 6);
      expect(shared.w[1]).toBeCloseTo(viaUpdate.w[1]!, 6);
      expect(shared.b).toBeCloseTo(viaUpdate.b, 6);
    }));

  it('a spread copy with its own update has that update run: { ...clipByGlobalNorm(10), update }', () =>
    leakFree(() => {
      // The override zeroes the gradients: the step must leave w and b where they were. Had the
      // step taken clipByGlobalNorm's shared-norms path, ‖g‖ = √11.375 < 10 would pass unclipped
      // and SGD would move w by −0.1·g.
      let calls = 0;
      const base = clipByGlobalNorm(10);
      const zeroing: GradientTransform<unknown> = {
        ...(base as GradientTransform<unknown>),
        update(g, s) {
          calls++;
          const out: Record<string, tf.Tensor> = {};
          for (const [k, v] of Object.entries(g)) out[k] = tf.zerosLike(v);
          return { grads: out, state: s, info: {} };
        },
      };
      const r = stepLinear({ transform: zeroing });
      expect(calls).toBe(1);
      expect(r.w).toEqual(W0);
      expect(r.b).toBe(B0);
      // A chain starting with the copy runs the copy's update too.
      calls = 0;
      const c = stepLinear({ transform: chain(zeroing, clipByValue(5)) });
      expect(calls).toBe(1);
      expect(c.w).toEqual(W0);
      // A spread copy that keeps update keeps the shortcut, which computes the same step.
      const same = counted({ ...base } as GradientTransform<unknown>);
      const kept = stepLinear({ transform: same });
      expect(same.calls).toEqual({ update: 0, withNorms: 1 });
      expect(kept.w[1]).toBeCloseTo((W0[1] as number) - 0.1 * (GW[1] as number), 6);
    }));

  it('matches a separate tfjs computation of Σg² on a random MLP', () =>
    leakFree(() => {
      const model = tinyMLP({ sizes: [5, 7, 3], seed: 4, activation: 'tanh' });
      const x = randomMatrix(6, 5, 11);
      const y = randomMatrix(6, 3, 12);
      // Independently: tf.variableGrads of the same loss, then ‖g‖² as Σ(g·g) (a product, not the
      // step's square), per parameter, at the weights before the step. (tf.dot of two reshapes of a
      // variable after variableGrads crashed the wasm engine here, so the plain product is used.)
      const vars = model.parameters().map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => mse(y, model.apply(x)), vars);
      const selfDot = (t: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(t, t)).dataSync()[0] as number);
      const sq = vars.map((v) => selfDot(grads[v.name] as tf.Tensor));
      const wsq = vars.map(selfDot);
      const loss = value.dataSync()[0] as number;
      tf.dispose([value, ...Object.values(grads)]);
      const total = Math.sqrt(sq.reduce((a, s) => a + s, 0));

      const monitor = new GradientMonitor({ histogram: false });
      const optimizer = tf.train.sgd(0.05);
      const out = stepOnce(
        model,
        { inputs: x, targets: y },
        { optimizer, loss: mse, monitor, transform: clipByGlobalNorm(0.5) },
      );
      const rec = out.record!;
      expect(out.loss).toBeCloseTo(loss, 5);
      expect(out.globalNorm).toBeCloseTo(total, 5);
      expect(out.info['clipByGlobalNorm.norm']).toBeCloseTo(total, 5);
      expect(out.info['clipByGlobalNorm.scale']).toBeCloseTo(0.5 / Math.max(total, 0.5), 6);
      rec.parameters.forEach((p, i) => {
        // float32 sums: 1e-5 relative.
        expect(Math.abs((p.gradNorm as number) - Math.sqrt(sq[i] as number))).toBeLessThan(
          1e-5 * Math.sqrt(sq[i] as number) + 1e-7,
        );
        expect(Math.abs((p.weightNorm as number) - Math.sqrt(wsq[i] as number))).toBeLessThan(
          1e-5 * Math.sqrt(wsq[i] as number) + 1e-7,
        );
      });
      monitor.dispose();
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    }));

  it('a transform without the hook still works, and a chain passes the norms to its first transform only', () =>
    leakFree(() => {
      // A hand-made transform with update only: g ← g/2.
      const half: GradientTransform<null> = {
        name: 'half',
        init: () => null,
        update: (g, s) => {
          const out: Record<string, tf.Tensor> = {};
          for (const [k, v] of Object.entries(g)) out[k] = tf.mul(v, 0.5);
          return { grads: out, state: s, info: {} };
        },
        dispose: () => {},
      };
      const monitor = new GradientMonitor({ histogram: false, moments: false });
      const r = stepLinear({ transform: half, monitor });
      expect(r.w[0]).toBeCloseTo((W0[0] as number) - 0.1 * 0.5 * (GW[0] as number), 6);
      expect(r.b).toBeCloseTo(B0 - 0.1 * 0.5 * GB, 6);
      expect(r.outcome.globalNorm).toBeCloseTo(GLOBAL, 5);
      expect(r.outcome.record!.parameters[0]!.gradNorm).toBeCloseTo(Math.sqrt(SQ_W), 6);
      monitor.dispose();

      // chain(clipByValue(1), clipByGlobalNorm(1)): no hook (the first transform has none), and
      // the global norm clipped is that of the value-clipped gradient: w [−0.25, −1], b [−1] →
      // √(0.0625 + 1 + 1) = √2.0625.
      const c1 = chain(clipByValue(1), clipByGlobalNorm(1));
      expect(normsPathOf(c1)).toBeUndefined();
      const r1 = stepLinear({ transform: c1 });
      expect(r1.outcome.info['clipByGlobalNorm.norm']).toBeCloseTo(Math.sqrt(2.0625), 5);
      expect(r1.outcome.globalNorm).toBeCloseTo(GLOBAL, 5);
      const s1 = 1 / Math.sqrt(2.0625);
      expect(r1.w[1]).toBeCloseTo((W0[1] as number) - 0.1 * s1 * -1, 6);

      // chain(clipByGlobalNorm(1), clipByValue(0.1)): the hook is the first transform's; then
      // values are clipped to 0.1: scale·g = [−0.0741, −0.667], [−0.741] → [−0.0741, −0.1], [−0.1].
      const c2 = counted(chain(clipByGlobalNorm(1), clipByValue(0.1)));
      const r2 = stepLinear({ transform: c2 });
      expect(c2.calls).toEqual({ update: 0, withNorms: 1 });
      expect(r2.outcome.info['clipByGlobalNorm.norm']).toBeCloseTo(GLOBAL, 5);
      expect(r2.w[0]).toBeCloseTo((W0[0] as number) - (0.1 * (GW[0] as number)) / GLOBAL, 6);
      expect(r2.w[1]).toBeCloseTo((W0[1] as number) - 0.1 * -0.1, 6);
      expect(r2.b).toBeCloseTo(B0 - 0.1 * -0.1, 6);
    }));

  it('weightNorms: false skips ‖θ‖ (null weight norm and ratio) unless the update ratio needs it', () =>
    leakFree(() => {
      const lite = new GradientMonitor({
        histogram: false,
        moments: false,
        updateRatio: false,
        weightNorms: false,
      });
      const r = stepLinear({ transform: clipByGlobalNorm(1), monitor: lite });
      const [pw, pb] = r.outcome.record!.parameters;
      expect(pw!.gradNorm).toBeCloseTo(Math.sqrt(SQ_W), 6);
      expect(pb!.gradNorm).toBeCloseTo(2.5, 6);
      expect([pw!.weightNorm, pw!.ratio, pb!.weightNorm, pb!.ratio]).toEqual([null, null, null, null]);
      lite.dispose();
      // The update ratio divides by ‖θ‖, so it turns the weight norms back on.
      const withUpdate = new GradientMonitor({ histogram: false, moments: false, weightNorms: false });
      const r2 = stepLinear({ transform: clipByGlobalNorm(1), monitor: withUpdate });
      const q = r2.outcome.record!.parameters[1]!;
      expect(q.weightNorm).toBeCloseTo(0.25, 6);
      // |Δb| = 0.1·2.5/‖g‖ → update ratio |Δb| / 0.25.
      expect(q.updateRatio).toBeCloseTo((0.1 * 2.5) / GLOBAL / 0.25, 5);
      withUpdate.dispose();
    }));

  it('monitoring and clipping reduce no gradient twice: Square kernels counted with tf.profile', async () => {
    const squares = async (options: StepOptions) => {
      const info = await tf.profile(() => {
        stepLinear(options);
      });
      return info.kernels.filter((k) => k.name === 'Square').length;
    };
    const before = tf.memory().numTensors;
    const plain = await squares({});
    const clipped = await squares({ transform: clipByGlobalNorm(1) });
    const lite = new GradientMonitor({
      histogram: false,
      moments: false,
      cosine: false,
      updateRatio: false,
      deadUnits: false,
      weightNorms: false,
    });
    const monitoredLite = await squares({ transform: clipByGlobalNorm(1), monitor: lite });
    const full = new GradientMonitor({
      histogram: false,
      moments: false,
      cosine: false,
      updateRatio: false,
      deadUnits: false,
    });
    const monitored = await squares({ transform: clipByGlobalNorm(1), monitor: full });
    // The unmonitored step squares each of the 2 gradients once for its raw global norm (and the
    // loss squares once); clipping and gradient norms add nothing; weight norms add one per weight.
    // The gradients' norms are scale-safe pairs computed once per step (on this host-memory engine
    // from one read of each gradient, so no Square kernel at all): the plain step squares only in
    // its loss. Clipping forms its norm and factor from the pairs on the host too (no kernel),
    // never from a gradient; monitoring reuses the pairs, and the weights' norms are host reads too.
    expect(tf.getBackend()).toBe('wasm');
    expect(clipped).toBe(plain);
    expect(monitoredLite).toBe(clipped);
    expect(monitored).toBe(clipped);
    lite.dispose();
    full.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('NaN gradients: the guard still rejects the step and keeps the weights; without it the record is not finite', () =>
    leakFree(() => {
      const nanStep = (opts: StepOptions) => {
        const model = linear();
        const optimizer = tf.train.sgd(0.1);
        // NaN in the inputs makes ∂L/∂w NaN.
        const inputs = tf.tensor2d([Number.NaN, 0, 0, 1], [2, 2]);
        const targets = tf.tensor2d([1, 2], [2, 1]);
        const outcome = stepOnce(model, { inputs, targets }, { ...opts, optimizer, loss: mse });
        const w = Array.from(model.w.dataSync());
        tf.dispose([inputs, targets]);
        optimizer.dispose();
        model.dispose();
        return { outcome, w };
      };
      const guard = new TrainingGuard({ snapshotEvery: 1 });
      const monitor = new GradientMonitor({ histogram: false, moments: false });
      const g = nanStep({ transform: clipByGlobalNorm(1), monitor, guard });
      expect(g.outcome.applied).toBe(false);
      expect(g.outcome.event!.reason).toBe('non-finite');
      expect(Number.isNaN(g.outcome.globalNorm)).toBe(true);
      expect(g.w).toEqual(W0);
      expect(monitor.latest()!.finite).toBe(false);
      expect(monitor.latest()!.guard!.reason).toBe('non-finite');
      guard.dispose();
      monitor.dispose();
      const m2 = new GradientMonitor({ histogram: false, moments: false });
      const u = nanStep({ transform: clipByGlobalNorm(1), monitor: m2 });
      expect(u.outcome.record!.finite).toBe(false);
      expect(Number.isNaN(u.outcome.info['clipByGlobalNorm.scale']!)).toBe(true);
      m2.dispose();
    }));
});

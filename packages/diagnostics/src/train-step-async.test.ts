import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GradientMonitor } from './gradient-monitor.js';
import { randomMatrix, tinyMLP } from './test-utils/tiny.js';
import { createTrainState, disposeTrainState } from './train-state.js';
import { trainStep, trainStepAsync } from './train-step.js';
import { TrainingGuard } from './training-guard.js';
import { clipByGlobalNorm } from './transforms/clip-by-global-norm.js';

beforeAll(async () => {
  await initBackend();
});

const x = randomMatrix(16, 4, 7);
const y = randomMatrix(16, 2, 8);
afterAll(() => tf.dispose([x, y]));

/** One training run: a tanh MLP 4-8-2, Adam, global-norm clipping, a monitor and a guard. */
function twin(exploding: boolean) {
  const model = tinyMLP({ sizes: [4, 8, 2], seed: 5 });
  const optimizer = tf.train.adam(0.02);
  const monitor = new GradientMonitor({ histogram: false });
  const guard = new TrainingGuard({ explodingFactor: 20, warmup: 3, onExploding: ['skip', 'lower-lr'] });
  const state = createTrainState({ transform: clipByGlobalNorm(1) });
  const options = { optimizer, monitor, guard, taps: true };
  // Step 8's targets are scaled by 1e4: the guard rejects it as exploding.
  const batch = (i: number) =>
    exploding && i === 7 ? { inputs: x, targets: tf.mul(y, 1e4) as tf.Tensor } : { inputs: x, targets: y };
  const weights = () => model.parameters().map((p) => Array.from(p.variable.dataSync()));
  const dispose = () => {
    disposeTrainState(state);
    monitor.dispose();
    guard.dispose();
    optimizer.dispose();
    model.dispose();
  };
  return { model, state, options, batch, weights, monitor, guard, dispose };
}

/** A step's result without its record's wall-clock time. */
const untimed = (r: Awaited<ReturnType<typeof trainStepAsync>>) =>
  r.record ? { ...r, record: { ...r.record, time: 0 } } : r;

describe('trainStepAsync', () => {
  it('takes the same 12 steps as trainStep: results, records, guard events and weights bit for bit', async () => {
    const a = twin(true);
    const b = twin(true);
    let before = 0;
    for (let i = 0; i < 12; i++) {
      // After the first step: the optimizer's moments, the guard's and the monitor's state exist.
      if (i === 1) before = tf.memory().numTensors;
      const ba = a.batch(i);
      const bb = b.batch(i);
      const want = trainStep(a.model, ba, a.state, a.options);
      const got = await trainStepAsync(b.model, bb, b.state, b.options);
      expect(untimed(got)).toEqual(untimed(want));
      if (ba.targets !== y) tf.dispose([ba.targets, bb.targets]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(b.guard.events.map((e) => [e.step, e.reason])).toEqual([[8, 'exploding']]);
    expect(b.state.step).toBe(12);
    expect(b.weights()).toEqual(a.weights());
    expect({ ...b.monitor.latest(), time: 0 }).toEqual({ ...a.monitor.latest(), time: 0 });
    a.dispose();
    b.dispose();
  });

  it('makes its one read-back with data() (the host-memory engines read gradients from host memory, as trainStep does)', async () => {
    const t = twin(false);
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const r = await trainStepAsync(t.model, t.batch(0), t.state, t.options);
    expect(data).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
    expect(r.applied).toBe(true);
    expect(Number.isFinite(r.loss)).toBe(true);
    t.dispose();
  });

  it('rejects bad input with the errors of trainStep', async () => {
    const t = twin(false);
    const before = tf.memory().numTensors;
    await expect(trainStepAsync(t.model, t.batch(0), t.state, {} as never)).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(trainStepAsync(t.model, t.batch(0), t.state, {} as never)).rejects.toThrow(
      /trainStepAsync: options.optimizer must be a tf.Optimizer/,
    );
    await expect(
      trainStepAsync(t.model, { inputs: x } as never, t.state, { optimizer: t.options.optimizer }),
    ).rejects.toThrow(/trainStepAsync: batch must be \{inputs, targets\} tensors/);
    await expect(
      trainStepAsync(t.model, t.batch(0), t.state, { optimizer: t.options.optimizer, microBatches: 17 }),
    ).rejects.toThrow(/must be at most the batch size 16/);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

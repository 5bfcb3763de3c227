import { initBackend } from '@gflow/backend';
import { InvalidArgumentError } from '@gflow/core';
import { plainMLP, residualMLP, vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureGradientFlow, measureGradientFlowAsync } from './measure-gradient-flow.js';
import { randomMatrix } from './test-utils/tiny.js';

beforeAll(async () => {
  await initBackend();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Three models with taps of every kind: plain blocks, residual blocks, fused recurrent steps. */
function cases() {
  const seq = tf.tidy(() => tf.reshape(randomMatrix(4 * 12, 3, 5), [4, 12, 3]));
  return [
    {
      model: plainMLP({ depth: 6, width: 8, inputSize: 4, outputSize: 2, activation: 'tanh', seed: 4 }),
      inputs: randomMatrix(5, 4, 1),
      targets: randomMatrix(5, 2, 2),
    },
    {
      model: residualMLP({ depth: 5, width: 8, inputSize: 4, outputSize: 2, seed: 3 }),
      inputs: randomMatrix(5, 4, 3),
      targets: randomMatrix(5, 2, 4),
    },
    {
      model: vanillaRNN({ inputSize: 3, hiddenSize: 8, seed: 2 }),
      inputs: seq,
      targets: randomMatrix(4, 8, 6),
    },
  ];
}

describe('measureGradientFlowAsync', () => {
  it('gives measureGradientFlow’s report (taps, parameters, diagnosis) for plain, residual and recurrent models, leaking nothing', async () => {
    for (const c of cases()) {
      const before = tf.memory().numTensors;
      const want = measureGradientFlow(c.model, c, { loss: 'meanSquaredError', learningRate: 0.05 });
      const got = await measureGradientFlowAsync(c.model, c, {
        loss: 'meanSquaredError',
        learningRate: 0.05,
      });
      expect(got).toEqual(want);
      expect(got.taps.length).toBeGreaterThan(1);
      expect(tf.memory().numTensors).toBe(before);
      c.model.dispose();
      tf.dispose([c.inputs, c.targets]);
    }
  });

  it('makes exactly one awaited read (the batched read-back)', async () => {
    const [c] = cases();
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const r = await measureGradientFlowAsync(c!.model, c!);
    expect(data).toHaveBeenCalledTimes(1);
    expect(Number.isFinite(r.loss)).toBe(true);
    c!.model.dispose();
    tf.dispose([c!.inputs, c!.targets]);
  });

  it('rejects bad input with InvalidArgumentError naming measureGradientFlowAsync, and a failed read leaves no tensor behind', async () => {
    const [c] = cases();
    const before = tf.memory().numTensors;
    const bad = measureGradientFlowAsync(c!.model, { inputs: c!.inputs } as never);
    await expect(bad).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(measureGradientFlowAsync(c!.model, { inputs: c!.inputs } as never)).rejects.toThrow(
      /^measureGradientFlowAsync: options.inputs and options.targets must be tensors, got Tensor float32 \[5, 4\] and undefined/,
    );
    await expect(measureGradientFlowAsync(c!.model, c!, { learningRate: -1 })).rejects.toThrow(
      /measureGradientFlowAsync: options.learningRate/,
    );
    vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValueOnce(new Error('device lost'));
    await expect(measureGradientFlowAsync(c!.model, c!)).rejects.toThrow('device lost');
    expect(tf.memory().numTensors).toBe(before);
    c!.model.dispose();
    tf.dispose([c!.inputs, c!.targets]);
  });
});

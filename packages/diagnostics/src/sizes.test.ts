import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runWithin } from '../../core/src/test-utils/bad-inputs.js';
import { GradientMonitor } from './gradient-monitor.js';
import { gradientTape } from './gradient-tape.js';
import { InstrumentedOptimizer, instrument } from './instrument.js';
import { parseFlowReport } from './json.js';
import { jsonLinesLogger } from './loggers/json-lines-logger.js';
import { measureGradientFlow } from './measure-gradient-flow.js';
import { linearPrediction } from './measures/gradient-predictiveness.js';
import { digamma } from './measures/mutual-information.js';
import { frobeniusPenalty } from './penalties/frobenius-penalty.js';
import { tinyMLP } from './test-utils/tiny.js';
import { TrainingGuard } from './training-guard.js';
import { autoClip } from './transforms/auto-clip.js';
import { spectralNormalization } from './transforms/spectral-normalization.js';
import { readInfo } from './transforms/transform.js';

// Issue 16: bad arguments found by the bad-input suite, each now a GflowError naming the function;
// sizes refused before allocating. Calls run under the harness's 1 s watchdog (a hang detector).

let before: number;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

function refusal(f: () => unknown): GflowError {
  try {
    runWithin(f, 1000);
  } catch (e) {
    if (e instanceof GflowError) return e;
    throw e;
  }
  throw new Error('expected a GflowError, the call returned');
}

describe('sizes and iteration counts are bounded', () => {
  it('autoClip with a history of 1e9 norms (4 GB, made by init) is refused with the estimate', () => {
    expect(refusal(() => autoClip(10, 1e9)).message).toBe(
      'autoClip: would allocate about 1.00e+9 history values (4.00e+9 bytes), above the allocation limit of 268435456 values; raise it with setAllocationLimit() if this is intended',
    );
  });

  it('GradientMonitor with a capacity of 1e10 records (a RangeError before) is refused', () => {
    expect(refusal(() => new GradientMonitor({ capacity: 1e10 })).message).toMatch(
      /^GradientMonitor: would allocate about 1\.00e\+10 records/,
    );
  });

  it('spectralNormalization allows at most 1000 power iterations per step', () => {
    expect(refusal(() => spectralNormalization({ iterations: 1e9 })).message).toBe(
      'spectralNormalization: options.iterations must be an integer in [1, 1000], got 1000000000',
    );
    expect(spectralNormalization({ iterations: 1000 }).name).toBe('spectralNormalization');
  });
});

describe('bad arguments are GflowErrors naming the function, not TypeErrors', () => {
  it('options that are not an object', () => {
    const cases: [string, (o: unknown) => unknown][] = [
      ['GradientMonitor', (o) => new GradientMonitor(o as never)],
      ['TrainingGuard', (o) => new TrainingGuard(o as never)],
      ['spectralNormalization', (o) => spectralNormalization(o as never)],
    ];
    for (const [name, call] of cases) {
      for (const bad of [null, 'x', 1, [1]]) {
        const e = refusal(() => call(bad));
        expect(e, `${name}(${String(bad)})`).toBeInstanceOf(InvalidArgumentError);
        expect(e.message).toMatch(new RegExp(`^${name}: options must be an object`));
      }
    }
  });

  it('instrument and InstrumentedOptimizer refuse what is not an optimizer (the class did not check)', () => {
    expect(refusal(() => instrument(undefined as never)).message).toBe(
      'instrument: optimizer must be a tf.Optimizer, got undefined',
    );
    const w = tf.zeros([2]);
    // the tensor must not be taken for an optimizer (and later disposed as one)
    expect(refusal(() => new InstrumentedOptimizer(w as never)).message).toMatch(
      /^InstrumentedOptimizer: optimizer must be a tf.Optimizer/,
    );
    const sgd = tf.train.sgd(0.1);
    expect(refusal(() => instrument(sgd, null as never)).message).toMatch(
      /^instrument: options must be an object/,
    );
    expect(refusal(() => instrument(sgd, { transform: null } as never)).message).toMatch(
      /^instrument: options.transform must be a transform/,
    );
    sgd.dispose();
    w.dispose();
  });

  it('parseFlowReport: not a string, not JSON', () => {
    expect(refusal(() => parseFlowReport(3 as never)).message).toMatch(
      /^parseFlowReport: text must be a string/,
    );
    const e = refusal(() => parseFlowReport('{"schemaVersion": 1'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toMatch(/^parseFlowReport: text is not JSON: /);
  });

  it('readInfo: not a record, a disposed or non-scalar tensor (nothing disposed)', () => {
    expect(refusal(() => readInfo(null as never)).message).toMatch(/^readInfo: info must be a record/);
    const gone = tf.scalar(1);
    gone.dispose();
    expect(refusal(() => readInfo({ a: gone })).message).toMatch(
      /info\["a"\] must be a live one-element tensor, got shape \[\] \(disposed\)/,
    );
    const v = tf.zeros([2]);
    const s = tf.scalar(2);
    expect(refusal(() => readInfo({ s, v } as never)).message).toMatch(/info\["v"\] .* got shape \[2\]/);
    expect(s.isDisposed).toBe(false);
    tf.dispose([v, s]);
  });

  it('a penalty on a disposed weight', () => {
    const w = tf.ones([2, 2]);
    w.dispose();
    expect(refusal(() => frobeniusPenalty(w)).message).toBe(
      'frobeniusPenalty: weight was disposed (shape [2,2]); pass a live tensor',
    );
  });
});

describe('found by the seeded bad-input suite', () => {
  it('measureGradientFlow: targets not shaped like the outputs, disposed inputs', () => {
    const m = tinyMLP({ sizes: [2, 3, 1], seed: 1 });
    const x = tf.ones([4, 2]);
    const y = tf.ones([2, 1]);
    const e = refusal(() => measureGradientFlow(m, { inputs: x, targets: y, loss: 'meanSquaredError' }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(
      "measureGradientFlow: targets must have the shape of the model's outputs [4, 1], got [2, 1]",
    );
    const gone = tf.ones([4, 2]);
    gone.dispose();
    expect(refusal(() => measureGradientFlow(m, { inputs: gone, targets: y })).message).toBe(
      'measureGradientFlow: options.inputs was disposed (shape [4, 2]); pass a live tensor',
    );
    tf.dispose([x, y]);
    m.dispose();
  });

  it('gradientTape with no parameters (tfjs said "gradients() received an empty list of xs")', () => {
    expect(refusal(() => gradientTape(() => tf.scalar(1), { params: [] })).message).toMatch(
      /^gradientTape: params must be a non-empty array of Parameter, got \[\]/,
    );
  });

  it('jsonLinesLogger with null options', () => {
    expect(refusal(() => jsonLinesLogger(() => {}, null as never)).message).toBe(
      'jsonLinesLogger: options must be an object, got null',
    );
  });
});

describe('new exports from main, caught by the suite without editing it', () => {
  it('digamma refuses x ≤ 0, NaN and Infinity (NaN came back, and −1e308 looped for ever)', () => {
    for (const bad of [Number.NaN, 0, -1, -1e308, Number.POSITIVE_INFINITY]) {
      expect(refusal(() => digamma(bad)).message).toMatch(/^digamma: x must be a finite number > 0/);
    }
    // ψ(1) = −γ
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 13);
  });

  it('linearPrediction refuses what is not a gradient record, snapshot or parameter list', () => {
    expect(refusal(() => linearPrediction(null as never, new Map(), [])).message).toMatch(
      /^linearPrediction: grads must be a record/,
    );
    expect(refusal(() => linearPrediction({}, {} as never, [])).message).toMatch(
      /^linearPrediction: before must be a snapshot/,
    );
    expect(refusal(() => linearPrediction({}, new Map(), null as never)).message).toMatch(
      /^linearPrediction: params must be an array/,
    );
    expect(linearPrediction({}, new Map(), [])).toBe(0);
  });
});

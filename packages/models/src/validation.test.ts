import { initBackend } from '@gflow/backend';
import {
  allocationLimit,
  DEFAULT_ALLOCATION_LIMIT,
  GflowError,
  InvalidArgumentError,
  NonFiniteError,
  setAllocationLimit,
} from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runWithin } from '../../core/src/test-utils/bad-inputs.js';
import * as models from './index.js';

// The named cases of issue 16 (bad inputs that hung, failed unclearly or returned NaN). Each call
// runs under the harness's watchdog: a hang fails after 1 s instead of blocking the run (a hang
// detector, not a speed assertion).

beforeAll(async () => {
  await initBackend();
});

afterEach(() => {
  setAllocationLimit(DEFAULT_ALLOCATION_LIMIT);
});

/** The error `f` throws under the watchdog; fails when it returns, hangs or throws a non-GflowError. */
function refusal(f: () => unknown): GflowError {
  try {
    runWithin(f, 1000);
  } catch (e) {
    if (e instanceof GflowError) return e;
    throw e;
  }
  throw new Error('expected a GflowError, the call returned');
}

/** Runs `f` and checks that the live tensor count is unchanged. */
function noLeak(f: () => void): void {
  const before = tf.memory().numTensors;
  f();
  expect(tf.memory().numTensors).toBe(before);
}

// Each builder with small valid options, and the size fields of those options.
const builders: [string, (o: unknown) => unknown, Record<string, unknown>][] = [
  ['plainMLP', models.plainMLP as never, { depth: 2, width: 4, inputSize: 3, outputSize: 2 }],
  ['residualMLP', models.residualMLP as never, { depth: 2, width: 4, inputSize: 3, outputSize: 2 }],
  ['denseMLP', models.denseMLP as never, { depth: 2, width: 4, inputSize: 3, outputSize: 2 }],
  ['highwayMLP', models.highwayMLP as never, { depth: 2, width: 4, inputSize: 3, outputSize: 2 }],
  [
    'plainConvNet',
    models.plainConvNet as never,
    { depth: 2, channels: 4, inputChannels: 1, kernelSize: 3, outputSize: 2 },
  ],
  [
    'residualConvNet',
    models.residualConvNet as never,
    { depth: 2, channels: 4, inputChannels: 1, kernelSize: 3, outputSize: 2 },
  ],
  ['transformerStack', models.transformerStack as never, { depth: 2, width: 8, heads: 2, inputSize: 3 }],
  ['vanillaRNN', models.vanillaRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['residualRNN', models.residualRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['highwayRNN', models.highwayRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['lstm', models.lstm as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['gru', models.gru as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['orthogonalRNN', models.orthogonalRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['unitaryRNN', models.unitaryRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['kroneckerRNN', models.kroneckerRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['indRNN', models.indRNN as never, { inputSize: 3, hiddenSize: 4, outputSize: 2 }],
  ['dense', models.dense as never, { inputSize: 3, outputSize: 2 }],
  ['conv2d', models.conv2d as never, { inputChannels: 1, outputChannels: 2, kernelSize: 3 }],
  ['weightNorm', models.weightNorm as never, { inputSize: 3, outputSize: 2 }],
  ['batchNorm', models.batchNorm as never, { size: 4 }],
  ['layerNorm', models.layerNorm as never, { size: 4 }],
  ['groupNorm', models.groupNorm as never, { size: 4, groups: 2 }],
  ['teacherStudent', models.teacherStudent as never, { inputSize: 3, outputSize: 2, teacherWidth: 4 }],
];
const SIZE_FIELDS = [
  'depth',
  'width',
  'inputSize',
  'outputSize',
  'hiddenSize',
  'size',
  'channels',
  'inputChannels',
  'outputChannels',
  'kernelSize',
  'teacherWidth',
];

describe('builders refuse missing, null and non-object options by name', () => {
  for (const [name, build] of builders) {
    it(`${name}() and ${name}(null)`, () => {
      noLeak(() => {
        for (const bad of [undefined, null, 'x', 3, []]) {
          const e = refusal(() => build(bad));
          expect(e).toBeInstanceOf(InvalidArgumentError);
          expect(e.message).toMatch(new RegExp(`^${name}: options must be an object`));
        }
      });
    });
  }
});

describe('a size of 1e9 is refused before anything is allocated, with the estimate and the limit', () => {
  for (const [name, build] of builders) {
    const fields = SIZE_FIELDS.filter((k) => k in (builders.find((b) => b[0] === name)?.[2] ?? {}));
    it(`${name}: ${fields.join(', ')}`, () => {
      // the valid options build (so each refusal below is the size's doing)
      const ok = build(builders.find((b) => b[0] === name)?.[2]) as { dispose?: () => void };
      (ok as { dispose?: () => void; teacher?: { dispose(): void } }).dispose?.();
      noLeak(() => {
        for (const field of fields) {
          const base = builders.find((b) => b[0] === name)?.[2] as Record<string, unknown>;
          const e = refusal(() => build({ ...base, [field]: 1e9 }));
          expect(e, `${name} ${field}`).toBeInstanceOf(InvalidArgumentError);
          expect(e.message).toMatch(
            new RegExp(
              `^${name}: would allocate about \\d\\.\\d\\de\\+\\d+ .* bytes\\), above the allocation limit of ${DEFAULT_ALLOCATION_LIMIT} values`,
            ),
          );
        }
      });
    });
  }

  it('the issue’s cases: plainMLP depth, lstm hiddenSize, conv2d kernelSize, initialize', () => {
    noLeak(() => {
      // (1e9 + ...) layers of 4×4 + 4: about 2e10 parameters
      expect(refusal(() => models.plainMLP({ depth: 1e9, width: 4, inputSize: 3 })).message).toMatch(
        /plainMLP: would allocate about 2\.\d\de\+10 parameters \(8\.\d\de\+10 bytes\)/,
      );
      // at least 4·(3 + 1e9 + 1)·1e9 weights of the four gates: ≥ 1e18 either way
      expect(refusal(() => models.lstm({ inputSize: 3, hiddenSize: 1e9 })).message).toMatch(
        /^lstm: would allocate about \d\.\d\de\+18 parameters/,
      );
      // 1e9 · 1e9 · 3 · 4 kernel entries: the RangeError of the issue, now refused by size
      expect(
        refusal(() => models.conv2d({ inputChannels: 3, outputChannels: 4, kernelSize: 1e9 })).message,
      ).toMatch(/^conv2d: would allocate about 1\.20e\+19 parameters/);
      expect(refusal(() => models.initialize('he', [1e9])).message).toMatch(
        /^initialize: would allocate about 1\.00e\+9 values \(4\.00e\+9 bytes\)/,
      );
    });
  });

  it('the estimate is the exact parameter count of plainMLP, denseMLP, dense and conv2d (limit = count builds, count − 1 refuses)', () => {
    const cases: [string, () => models.Model][] = [
      ['plainMLP', () => models.plainMLP({ depth: 3, width: 5, inputSize: 2, outputSize: 3 })],
      ['denseMLP', () => models.denseMLP({ depth: 3, width: 5, inputSize: 2, outputSize: 3 })],
      ['dense', () => models.dense({ inputSize: 4, outputSize: 3 })],
      ['conv2d', () => models.conv2d({ inputChannels: 2, outputChannels: 3, kernelSize: 3 })],
    ];
    for (const [name, build] of cases) {
      setAllocationLimit(DEFAULT_ALLOCATION_LIMIT);
      const m = build();
      const count = m.parameters().reduce((a, p) => a + p.variable.size, 0);
      m.dispose();
      setAllocationLimit(count);
      build().dispose();
      setAllocationLimit(count - 1);
      expect(refusal(build).message, name).toMatch(/above the allocation limit/);
    }
  });

  it('the estimate is the exact parameter count of a plainMLP and a dense layer; the limit is configurable', () => {
    const mlp = models.plainMLP({ depth: 3, width: 5, inputSize: 2, outputSize: 3 });
    // (2+1)·5 + 2·(5+1)·5 + (5+1)·3 = 15 + 60 + 18
    const count = mlp.parameters().reduce((a, p) => a + p.variable.size, 0);
    expect(count).toBe(93);
    mlp.dispose();
    setAllocationLimit(93);
    expect(allocationLimit()).toBe(93);
    models.plainMLP({ depth: 3, width: 5, inputSize: 2, outputSize: 3 }).dispose();
    setAllocationLimit(92);
    expect(
      refusal(() => models.plainMLP({ depth: 3, width: 5, inputSize: 2, outputSize: 3 })).message,
    ).toMatch(/about 9\.30e\+1 parameters \(3\.72e\+2 bytes\), above the allocation limit of 92 values/);
    // a dense layer 2 → 3 has (2 + 1)·3 = 9 parameters
    setAllocationLimit(9);
    models.dense({ inputSize: 2, outputSize: 3 }).dispose();
    setAllocationLimit(8);
    expect(refusal(() => models.dense({ inputSize: 2, outputSize: 3 }))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('the orthogonal maps and lsuvInit refuse NaN and ±Infinity with a NonFiniteError', () => {
  it('matrixExp of an infinite matrix returns at once (it hung) and of a NaN matrix refuses', () => {
    noLeak(() => {
      const inf = tf.fill([3, 3], Number.POSITIVE_INFINITY) as tf.Tensor2D;
      const nan = tf.fill([2, 2], Number.NaN) as tf.Tensor2D;
      expect(refusal(() => models.matrixExp(inf))).toBeInstanceOf(NonFiniteError);
      expect(refusal(() => models.matrixExp(nan)).message).toMatch(
        /^matrixExp: a must have finite entries, got NaN/,
      );
      // finite, but exp overflows float64: e^1000
      const big = tf.tensor2d([[1000]]);
      expect(refusal(() => models.matrixExp(big))).toBeInstanceOf(NonFiniteError);
      tf.dispose([inf, nan, big]);
    });
  });

  it('cayleyMap and householderProduct refuse a NaN entry (they returned NaN matrices)', () => {
    noLeak(() => {
      const nan = tf.tensor2d([
        [0, Number.NaN],
        [1, 0],
      ]);
      expect(refusal(() => models.cayleyMap(nan)).message).toMatch(
        /^cayleyMap: a must have finite entries, got NaN at flat index 1/,
      );
      expect(refusal(() => models.householderProduct(nan))).toBeInstanceOf(NonFiniteError);
      // I + A singular: A = −I
      const minusI = tf.tensor2d([
        [-1, 0],
        [0, -1],
      ]);
      expect(refusal(() => models.cayleyMap(minusI))).toBeInstanceOf(NonFiniteError);
      const zeroRow = tf.tensor2d([
        [0, 0],
        [1, 0],
      ]);
      expect(refusal(() => models.householderProduct(zeroRow)).message).toMatch(
        /vectors\[0\] must be nonzero/,
      );
      tf.dispose([nan, minusI, zeroRow]);
    });
  });

  it('lsuvInit refuses NaN inputs and leaves the weights untouched (it returned variance NaN)', () => {
    const net = models.plainMLP({ depth: 3, width: 4, inputSize: 2, activation: 'tanh', seed: 3 });
    const before = net.parameters().map((p) => Array.from(p.variable.dataSync()));
    const x = tf.tensor2d([0.5, Number.NaN, 1, 2], [2, 2]);
    noLeak(() => {
      expect(refusal(() => models.lsuvInit(net, x)).message).toMatch(
        /^lsuvInit: inputs must have finite entries/,
      );
    });
    expect(net.parameters().map((p) => Array.from(p.variable.dataSync()))).toEqual(before);
    x.dispose();
    net.dispose();
  });
});

describe('unclear errors of the issue, now GflowErrors naming the function', () => {
  it('identityContext(NaN) is refused; true and false are accepted', () => {
    expect(refusal(() => models.identityContext(Number.NaN as never)).message).toMatch(
      /^identityContext: training must be true or false, got NaN/,
    );
    expect(models.identityContext(true).training).toBe(true);
  });

  it("initialize('he', NaN) and initialize('he', [2, NaN])", () => {
    expect(refusal(() => models.initialize('he', Number.NaN as never)).message).toMatch(
      /^initialize: shape must be an array of positive integers, got NaN/,
    );
    expect(refusal(() => models.initialize('he', [2, Number.NaN])).message).toMatch(
      /^initialize: shape\[1\]/,
    );
  });

  it('a disposed tensor is named as disposed, not a failure inside tfjs', () => {
    const a = tf.tensor2d([
      [0, 1],
      [-1, 0],
    ]);
    a.dispose();
    noLeak(() => {
      for (const f of [
        () => models.matrixExp(a),
        () => models.cayleyMap(a),
        () => models.householderProduct(a),
      ]) {
        expect(refusal(f).message).toMatch(/a was disposed|vectors was disposed/);
      }
      expect(refusal(() => models.applyActivation('relu', a)).message).toMatch(
        /^applyActivation: x was disposed/,
      );
    });
  });
});

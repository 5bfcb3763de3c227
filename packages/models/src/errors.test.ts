import { initBackend } from '@gflow/backend';
import { GflowError, InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addingProblem,
  copyMemoryTask,
  dense,
  denseMLP,
  gru,
  highwayMLP,
  kroneckerRNN,
  lstm,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
  sequential,
  transformerStack,
  unitaryRNN,
  vanillaRNN,
} from './index.js';

const ff = { depth: 2, width: 4, inputSize: 3 };
const rec = { inputSize: 2, hiddenSize: 4 };

const bad: readonly [string, () => unknown, RegExp][] = [
  [
    'depth 0',
    () => plainMLP({ ...ff, depth: 0 }),
    /^plainMLP: options\.depth must be a positive integer, got 0$/,
  ],
  [
    'width 0',
    () => residualMLP({ ...ff, width: 0 }),
    /^residualMLP: options\.width must be a positive integer, got 0$/,
  ],
  [
    'channels 0',
    () => plainConvNet({ depth: 1, channels: 0, inputChannels: 1 }),
    /plainConvNet: options\.channels must be a positive integer, got 0/,
  ],
  [
    'depth 1.5',
    () => residualConvNet({ depth: 1.5, channels: 2, inputChannels: 1 }),
    /residualConvNet: options\.depth must be a positive integer, got 1\.5/,
  ],
  [
    'unknown activation',
    () => highwayMLP({ ...ff, activation: 'swishy' as never }),
    /highwayMLP: options\.activation must be one of 'sigmoid', .*'linear', got "swishy"/,
  ],
  [
    'unknown initializer',
    () => denseMLP({ ...ff, init: 'glorot' as never }),
    /denseMLP: options\.init must be one of 'zeros', .*'chrono', got "glorot"/,
  ],
  [
    'missing variance',
    () => plainMLP({ ...ff, init: { name: 'normal' } }),
    /plainMLP: options\.init\.variance must be given for 'normal', got undefined/,
  ],
  [
    'unknown norm',
    () => plainMLP({ ...ff, norm: 'instance' as never }),
    /plainMLP: options\.norm must be one of 'none', 'batch', 'layer', 'group', 'weight', got "instance"/,
  ],
  [
    'unknown variant',
    () => residualMLP({ ...ff, variant: 'mid' as never }),
    /residualMLP: options\.variant must be one of/,
  ],
  [
    'heads',
    () => transformerStack({ depth: 1, width: 6, heads: 4 }),
    /transformerStack: options\.heads must divide options\.width \(6\), got 4/,
  ],
  [
    'hidden 0',
    () => vanillaRNN({ ...rec, hiddenSize: 0 }),
    /vanillaRNN: options\.hiddenSize must be a positive integer, got 0/,
  ],
  [
    'recurrent init',
    () => lstm({ ...rec, recurrentInit: 'nope' as never }),
    /lstm: options\.recurrentInit must be one of/,
  ],
  [
    'chrono',
    () => gru({ ...rec, chrono: 1 }),
    /gru: options\.chrono must be a finite number ≥ 2\.000001, got 1/,
  ],
  [
    'odd unitary',
    () => unitaryRNN({ ...rec, hiddenSize: 7 }),
    /unitaryRNN: options\.hiddenSize must be even \(real and imaginary halves of the complex state\), got 7/,
  ],
  [
    'parametrization',
    () => orthogonalRNN({ ...rec, parametrization: 'qr' as never }),
    /orthogonalRNN: options\.parametrization must be one of 'householder', 'cayley', 'exp', got "qr"/,
  ],
  [
    'kron factors',
    () => kroneckerRNN({ ...rec, factors: [3, 2] }),
    /kroneckerRNN: options\.factors must multiply to hiddenSize \(4\), got \[3, 2\]/,
  ],
  [
    'dense size',
    () => dense({ inputSize: -1, outputSize: 2 }),
    /dense: options\.inputSize must be a positive integer, got -1/,
  ],
  ['sequential empty', () => sequential(), /sequential: modules must be at least one module, got none/],
  [
    'copy delay',
    () => copyMemoryTask({ delay: 0 }),
    /copyMemoryTask: options\.delay must be a positive integer, got 0/,
  ],
  [
    'adding length',
    () => addingProblem({ length: 1 }),
    /addingProblem: options\.length must be an integer ≥ 2, got 1/,
  ],
];

describe('bad input', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const [what, f, re] of bad) {
    it(`${what}: a GflowError before any tensor is allocated`, () => {
      const before = tf.memory().numTensors;
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GflowError);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(re);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a mismatched input shape: ShapeError from apply, no tensor made', () => {
    const models = [
      plainMLP(ff),
      residualConvNet({ depth: 1, channels: 2, inputChannels: 3 }),
      vanillaRNN(rec),
      transformerStack({ depth: 1, width: 4, inputSize: 2 }),
    ];
    const x = tf.zeros([2, 5]);
    const before = tf.memory().numTensors;
    expect(() => models[0]?.apply(x)).toThrow(
      /^plainMLP\.apply: x must have shape \[any, 3\], got \[2, 5\]$/,
    );
    expect(() => models[1]?.apply(x)).toThrow(
      /residualConvNet\.apply: x must have shape \[any, any, any, 3\], got \[2, 5\]/,
    );
    expect(() => models[2]?.apply(x)).toThrow(
      /vanillaRNN\.apply: x must have shape \[any, any, 2\], got \[2, 5\]/,
    );
    expect(() => models[3]?.apply(x)).toThrow(
      /transformerStack\.apply: x must have shape \[any, any, 2\], got \[2, 5\]/,
    );
    const empty = tf.zeros([1, 0, 2]);
    const mid = tf.memory().numTensors;
    expect(() => models[2]?.apply(empty)).toThrow(
      /vanillaRNN\.apply: x must have at least one time step, got shape \[1, 0, 2\]/,
    );
    expect(tf.memory().numTensors).toBe(mid);
    empty.dispose();
    expect(tf.memory().numTensors).toBe(before);
    try {
      models[0]?.apply(x);
    } catch (e) {
      expect(e).toBeInstanceOf(ShapeError);
    }
    x.dispose();
    for (const m of models) m.dispose();
  });
});

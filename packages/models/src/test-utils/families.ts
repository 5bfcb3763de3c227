/**
 * Small configurations of every model family, with inputs and the taps each must record: the one
 * table that the family tests of @gflow/models and @gflow/diagnostics share (through the test
 * entry `@gflow/models/test`). A new family is one row here.
 */
import * as tf from '@tensorflow/tfjs';
import {
  activationLayer,
  dense,
  denseMLP,
  fromLayersModel,
  gru,
  highwayMLP,
  highwayRNN,
  indRNN,
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
} from '../index.js';
import { seededNormal } from './gradcheck.js';

/** One family: how to build it (seeded), an input, and the taps it must record in order. */
export interface Family {
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

/** Every family, small enough for finite differences. */
export const families: readonly Family[] = [
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
  { name: 'indRNN', build: (seed) => indRNN({ ...rec, activation: 'tanh', seed }), input: seq, taps: rTaps },
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

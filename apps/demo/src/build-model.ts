/** Builds the models named on the command line (`--arch …`) with @gflow/models' builders. */
import {
  denseMLP,
  gru,
  highwayMLP,
  lstm,
  type Model,
  orthogonalRNN,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
  transformerStack,
  vanillaRNN,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { LossFlag, ModelFlags } from './program.js';

/** Input features of the MLPs built from flags. */
export const MLP_INPUT = 16;
/** Input image of the conv nets built from flags: [height, width, channels]. */
export const CONV_INPUT = [8, 8, 3] as const;
/** Input features per step of the recurrent nets and transformers built from flags. */
export const SEQUENCE_INPUT = 8;
/** Sequence length of the recurrent nets and transformers when `--steps` is not given. */
export const DEFAULT_STEPS = 20;
/** Outputs of every model built from flags (per position for the transformer). */
export const OUTPUTS = 10;

/**
 * Builds a model from command-line flags. Recurrent nets read [batch, steps, 8] and end in a
 * linear readout of the last hidden state to 10 outputs (`--depth` stacked layers of `--width`
 * units); the transformer reads [batch, steps, 8] and writes 10 outputs per position (`--depth`
 * layers of width `--width`, one head, `--norm pre|post`).
 *
 * @param f - Architecture, depth, activation, init, norm, width, seed, steps.
 * @returns The model (caller disposes) and the shape of one input example.
 */
export function buildModel(f: ModelFlags): { model: Model; inputShape: readonly number[] } {
  const norm = f.norm === 'pre' || f.norm === 'post' ? 'none' : f.norm;
  const common = {
    depth: f.depth,
    activation: f.activation,
    init: f.init,
    norm,
    seed: f.seed,
    outputSize: OUTPUTS,
  } as const;
  const mlp = { ...common, width: f.width, inputSize: MLP_INPUT };
  const conv = { ...common, channels: f.width, inputChannels: CONV_INPUT[2] };
  const steps = f.steps ?? DEFAULT_STEPS;
  const seq = [steps, SEQUENCE_INPUT] as const;
  const rnn = {
    inputSize: SEQUENCE_INPUT,
    hiddenSize: f.width,
    layers: f.depth,
    outputSize: OUTPUTS,
    init: f.init,
    seed: f.seed,
  } as const;
  switch (f.arch) {
    case 'plain-mlp':
      return { model: plainMLP(mlp), inputShape: [MLP_INPUT] };
    case 'residual-mlp':
      return {
        model: residualMLP(f.branchScale === undefined ? mlp : { ...mlp, branchScale: f.branchScale }),
        inputShape: [MLP_INPUT],
      };
    case 'highway-mlp':
      return { model: highwayMLP(mlp), inputShape: [MLP_INPUT] };
    case 'dense-mlp':
      return { model: denseMLP(mlp), inputShape: [MLP_INPUT] };
    case 'plain-conv':
      return { model: plainConvNet(conv), inputShape: CONV_INPUT };
    case 'residual-conv':
      return {
        model: residualConvNet(f.branchScale === undefined ? conv : { ...conv, branchScale: f.branchScale }),
        inputShape: CONV_INPUT,
      };
    case 'vanilla-rnn':
      return { model: vanillaRNN({ ...rnn, activation: f.activation }), inputShape: seq };
    case 'orthogonal-rnn':
      return { model: orthogonalRNN({ ...rnn, activation: f.activation }), inputShape: seq };
    case 'lstm':
      return { model: lstm(rnn), inputShape: seq };
    case 'gru':
      return { model: gru(rnn), inputShape: seq };
    case 'transformer':
      return {
        model: transformerStack({
          depth: f.depth,
          width: f.width,
          inputSize: SEQUENCE_INPUT,
          outputSize: OUTPUTS,
          norm: f.norm === 'post' ? 'post' : 'pre',
          activation: f.activation,
          init: f.init,
          seed: f.seed,
        }),
        inputShape: seq,
      };
  }
}

/**
 * Seeded random targets of `shape` that suit the loss: N(0, 1) for the mean squared error, one-hot
 * rows (a uniformly drawn class along the last axis) for softmax cross-entropy, independent 0/1
 * with probability ½ for sigmoid cross-entropy.
 *
 * @param shape - Shape of the model's output for the batch.
 * @param loss - The loss.
 * @param seed - Seed.
 * @returns The targets; the caller disposes them.
 */
export function randomTargets(shape: readonly number[], loss: LossFlag, seed: number): tf.Tensor {
  return tf.tidy(() => {
    if (loss === 'softmax-cross-entropy') {
      const classes = shape[shape.length - 1] as number;
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const labels = tf.randomUniform([rows], 0, classes, 'int32', seed);
      return tf.reshape(tf.oneHot(labels, classes).toFloat(), [...shape]);
    }
    if (loss === 'sigmoid-cross-entropy') {
      return tf.cast(tf.less(tf.randomUniform([...shape], 0, 1, 'float32', seed), 0.5), 'float32');
    }
    return tf.randomNormal([...shape], 0, 1, 'float32', seed);
  });
}

/** The @gflow/diagnostics loss name of a `--loss` flag. */
export function lossName(loss: LossFlag): 'meanSquaredError' | 'softmaxCrossEntropy' | 'sigmoidCrossEntropy' {
  if (loss === 'softmax-cross-entropy') return 'softmaxCrossEntropy';
  if (loss === 'sigmoid-cross-entropy') return 'sigmoidCrossEntropy';
  return 'meanSquaredError';
}

/** Seeded random inputs and targets for a model built from flags; the caller disposes both. */
export function randomBatch(
  inputShape: readonly number[],
  batch: number,
  seed: number,
  options: { readonly arch?: ModelFlags['arch']; readonly loss?: LossFlag } = {},
): { x: tf.Tensor; y: tf.Tensor } {
  const out = options.arch === 'transformer' ? [batch, inputShape[0] as number, OUTPUTS] : [batch, OUTPUTS];
  return {
    x: tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', seed * 2 + 1),
    y: randomTargets(out, options.loss ?? 'mse', seed * 2 + 2),
  };
}

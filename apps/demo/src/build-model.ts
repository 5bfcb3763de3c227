/** Builds the models named on the command line (`--arch …`) with @gflow/models' builders. */
import {
  denseMLP,
  highwayMLP,
  type Model,
  plainConvNet,
  plainMLP,
  residualConvNet,
  residualMLP,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { ModelFlags } from './program.js';

/** Input features of the MLPs built from flags. */
export const MLP_INPUT = 16;
/** Input image of the conv nets built from flags: [height, width, channels]. */
export const CONV_INPUT = [8, 8, 3] as const;
/** Outputs of every model built from flags. */
export const OUTPUTS = 10;

/**
 * Builds a model from command-line flags.
 *
 * @param f - Architecture, depth, activation, init, norm, width, seed.
 * @returns The model (caller disposes) and the shape of one input example.
 */
export function buildModel(f: ModelFlags): { model: Model; inputShape: readonly number[] } {
  const common = {
    depth: f.depth,
    activation: f.activation,
    init: f.init,
    norm: f.norm,
    seed: f.seed,
    outputSize: OUTPUTS,
  } as const;
  const mlp = { ...common, width: f.width, inputSize: MLP_INPUT };
  const conv = { ...common, channels: f.width, inputChannels: CONV_INPUT[2] };
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
  }
}

/** Seeded random inputs and targets for a model built from flags; the caller disposes both. */
export function randomBatch(
  inputShape: readonly number[],
  batch: number,
  seed: number,
): { x: tf.Tensor; y: tf.Tensor } {
  return {
    x: tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', seed * 2 + 1),
    y: tf.randomNormal([batch, OUTPUTS], 0, 1, 'float32', seed * 2 + 2),
  };
}

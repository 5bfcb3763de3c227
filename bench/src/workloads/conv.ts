import { measureGradientFlow } from '@gflow/diagnostics';
import { plainConvNet, residualConvNet } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { Workload } from '../workload.js';

const BLOCKS = 30;
const CHANNELS = 64;

/**
 * The workload's network from @gflow/models' builders, as a user writes it: 30 blocks of
 * conv3x3 → BN → ReLU → conv3x3 → BN (→ + x) → ReLU, 64 channels, convolutions without bias
 * (`bias: false`), batch norm with the batch's statistics in training, the input entering the first
 * block as it is (plainConvNet has no stem; residualConvNet's is turned off).
 */
function network(residual: boolean) {
  const common = {
    depth: BLOCKS,
    channels: CHANNELS,
    inputChannels: CHANNELS,
    activation: 'relu',
    norm: 'batch',
    bias: false,
    seed: 0,
  } as const;
  return residual
    ? residualConvNet({ ...common, variant: 'post-activation', stem: false })
    : plainConvNet({ ...common, convsPerBlock: 2 });
}

function convWorkload(name: string, what: string, residual: boolean): Workload {
  return {
    name,
    what,
    repeats: 5,
    prepare() {
      const model = network(residual);
      const x = tf.randomNormal([4, 32, 32, CHANNELS], 0, 1, 'float32', 3);
      const targets = tf.scalar(0); // unused by the loss: L = Σ output
      const loss = (_t: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(y);
      return {
        run() {
          const report = measureGradientFlow(model, { inputs: x, targets, loss, training: true });
          const taps = report.taps.filter((t) => /^blocks\.\d+$/.test(t.name));
          if (taps.length !== BLOCKS)
            throw new Error(`${name}: expected ${BLOCKS} block taps, got ${taps.length}`);
          if (report.parameters.length !== 6 * BLOCKS)
            throw new Error(`${name}: expected ${6 * BLOCKS} parameters, got ${report.parameters.length}`);
          return {
            construction: residual ? 'residualConvNet' : 'plainConvNet',
            blockTaps: taps.length,
            parameters: report.parameters.length,
            gradNormFirstBlock: taps[0]?.gradNorm ?? Number.NaN,
            globalNorm: report.globalNorm,
          };
        },
        dispose() {
          x.dispose();
          targets.dispose();
          model.dispose();
        },
      };
    },
  };
}

/**
 * `conv-plain-30`: 30 plain blocks (conv3x3 → BN → ReLU → conv3x3 → BN → ReLU, 64 channels, no
 * bias), input 4×32×32×64 N(0,1), L = Σ output; one `measureGradientFlow` (@gflow/diagnostics),
 * which yields the gradient norm at every block output and every parameter's.
 */
export const convPlain = convWorkload(
  'conv-plain-30',
  'one forward+backward, 30 plain blocks, per-block and per-parameter gradient norms',
  false,
);

/** `conv-residual-30`: the same with output = ReLU(BN(conv(ReLU(BN(conv(x))))) + x). */
export const convResidual = convWorkload('conv-residual-30', 'the same with residual blocks', true);

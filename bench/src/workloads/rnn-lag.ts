import { gradientTape } from '@gflow/diagnostics';
import { vanillaRNN } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { Workload } from '../workload.js';

const STEPS = 256;

/**
 * `rnn-lag-256`: h_t = tanh(h_{t−1} W_hh + x_t W_xh + b), input 16, hidden 128, 256 steps,
 * batch 32, L = ½‖h_T‖²; one backward pass through time that yields ‖∂L/∂h_t‖ for every t, with
 * `vanillaRNN` (@gflow/models) and `gradientTape` (@gflow/diagnostics), whose taps at `h.<t>`
 * are gflow's `register_hook`.
 */
export const rnnLag: Workload = {
  name: 'rnn-lag-256',
  what: 'one BPTT pass, gradient norm at each of 256 steps',
  repeats: 5,
  prepare() {
    const rnn = vanillaRNN({ inputSize: 16, hiddenSize: 128, activation: 'tanh', seed: 0 });
    const x = tf.randomNormal([32, STEPS, 16], 0, 1, 'float32', 7);
    const params = rnn.parameters();
    return {
      run() {
        const tape = gradientTape(
          (ctx) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(rnn.apply(x, ctx)))) as tf.Scalar),
          { params, taps: 'norms' },
        );
        const norms = tape.tapStats
          .filter((s) => /^h\.\d+$/.test(s.name))
          .map((s) => s.gradNorm ?? Number.NaN);
        tape.dispose();
        if (norms.length !== STEPS)
          throw new Error(`rnn-lag-256: expected ${STEPS} step taps, got ${norms.length}`);
        return {
          steps: norms.length,
          gradNormFirst: norms[0] as number,
          gradNormLast: norms[STEPS - 1] as number,
        };
      },
      dispose() {
        x.dispose();
        rnn.dispose();
      },
    };
  },
};

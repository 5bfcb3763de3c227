/**
 * Section b. Activations: per-layer gradient attenuation in sigmoid, tanh, ReLU and GELU MLPs
 * at depth 50 under Xavier and He initialization, with @gflow/core's mean-field prediction
 * drawn over the measurement.
 */
import { heVariance, meanField, xavierVariance } from '@gflow/core';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { linePlot, type Row } from '../plot.js';
import { blockIndex, fittedRate, fmt, measureTaps, normal } from './measure.js';
import type { SectionDef } from './section.js';

const ACTS = ['sigmoid', 'tanh', 'relu', 'gelu'] as const;
const INITS = ['xavier', 'he'] as const;

/** Section b. */
export const section: SectionDef = {
  id: 'b-activations',
  title: 'b. Activations and initialization',
  steps: () => ACTS.length * INITS.length,
  run: async ({ quick, progress }) => {
    const depth = quick ? 20 : 50;
    const width = quick ? 64 : 128;
    const batch = 64;
    const settings = {
      depth,
      width,
      inputSize: 16,
      outputSize: 10,
      batch,
      biases: 'zero at initialization (σ_b² = 0)',
      loss: 'mean squared error against N(0,1) targets',
      prediction: '‖∂L/∂h_l‖ = ‖∂L/∂h_{L−1}‖ · χ₁^((L−1−l)/2), χ₁ from meanField(activation, σ_w²)',
      seed: 2,
    };
    const rows: Row[] = [];
    const predicted: Row[] = [];
    const findings: Record<string, number | string | null> = {};
    const x = normal([batch, 16], 51);
    const y = normal([batch, 10], 52);
    try {
      for (const init of INITS) {
        // σ_w² = n·Var(W) for the width×width hidden layers, as @gflow/models draws them.
        const sw = (init === 'he' ? heVariance(width, 'relu') : xavierVariance(width, width)) * width;
        for (const act of ACTS) {
          progress.task(`b: ${act}, ${init}`);
          const model = plainMLP({
            depth,
            width,
            inputSize: 16,
            outputSize: 10,
            activation: act,
            init,
            seed: 2,
          });
          try {
            const m = measureTaps(model, x, y);
            const norms: (number | null)[] = new Array(depth).fill(null);
            for (const t of m.taps) {
              const i = blockIndex(t.name);
              if (i >= 0) norms[i] = t.gradNorm;
            }
            const series = `${act}, ${init}`;
            norms.forEach((g, layer) => {
              rows.push({ activation: act, init, series, layer, gradNorm: g });
            });
            const mf = meanField(act, { weightVariance: sw, biasVariance: 0 });
            const last = norms[depth - 1] ?? null;
            if (last !== null) {
              for (let layer = 0; layer < depth; layer++) {
                predicted.push({
                  activation: act,
                  init,
                  series,
                  layer,
                  gradNorm: last * mf.chi1 ** ((depth - 1 - layer) / 2),
                });
              }
            }
            const first = norms[0] ?? null;
            const key = `${act}_${init}`;
            findings[`${key}_sigmaW2`] = sw;
            findings[`${key}_chi1`] = mf.chi1;
            findings[`${key}_phase`] = mf.phase;
            // Going backward from the last layer: distance k = L−1−l.
            findings[`${key}_measuredPerLayer`] = fittedRate([...norms].reverse(), depth - 1);
            findings[`${key}_predictedPerLayer`] = Math.sqrt(mf.chi1);
            findings[`${key}_firstOverLast`] =
              first !== null && last !== null && last > 0 ? first / last : null;
          } finally {
            model.dispose();
          }
          progress.tick(1, `b: ${act}, ${init} done`);
          await tf.nextFrame();
        }
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    const pair = (a: string, i: string): string =>
      `${a}/${i} ${fmt(findings[`${a}_${i}_measuredPerLayer`] as number | null)} (predicted ${fmt(findings[`${a}_${i}_predictedPerLayer`] as number | null)})`;
    return {
      settings,
      findings,
      summary: [
        `The plot shows ‖∂L/∂h_l‖ at every layer of ${depth}-layer MLPs (width ${width}) for four activations under Xavier and He initialization; the dashed lines are the mean-field prediction, which multiplies the gradient norm by √χ₁ per layer going backward, anchored at the last layer.`,
        `Measured per-layer gradient factor going backward (least-squares fit of ln‖∂L/∂h_l‖ over the layers) vs mean-field √χ₁: ${ACTS.flatMap((a) => INITS.map((i) => pair(a, i))).join('; ')}.`,
      ],
      plots: [
        linePlot({
          id: 'attenuation',
          caption: `Gradient norm per layer in ${depth}-layer MLPs; solid: measured, dashed: mean-field prediction χ₁^((L−1−l)/2) from @gflow/core. Log scale; each activation/initialization pair has its own color.`,
          data: rows,
          predicted,
          points: false,
          x: { field: 'layer', title: 'layer l (0 = nearest the input)' },
          y: { field: 'gradNorm', title: '‖∂L/∂h_l‖ (L2 norm, log scale)', log: true },
          series: { field: 'series', title: 'activation, init' },
          width: 560,
        }),
      ],
    };
  },
};

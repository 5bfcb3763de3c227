/**
 * The mean-field initialization of a sweep cell: every block's kernel W ~ N(0, σ_w²/fan-in) and
 * bias b ~ N(0, σ_b²) (Poole et al. 2016, Schoenholz et al. 2017), so a measured grid over
 * (σ_w², σ_b²) can be set beside `meanField`'s critical line. The readout and the normalization
 * layers keep the initialization their builder gave them.
 */
import { initialize, type Model } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { SweepCell } from './sweep.js';

/**
 * Redraws the blocks' kernels and biases of a freshly built model for the cell's σ_w² and σ_b²
 * (no change when the cell sets no `weightVariance`). Seeded by the cell's seed and the
 * parameter's position, so a cell measured twice gets the same weights.
 *
 * @param model - A model built for the cell (its `blocks.*` parameters are rewritten in place).
 * @param cell - The cell; `weightVariance` σ_w² and `biasVariance` σ_b² (default 0).
 * @returns How many kernels and biases were redrawn.
 */
export function applyVariances(
  model: Model,
  cell: Pick<SweepCell, 'weightVariance' | 'biasVariance' | 'seed'>,
): { kernels: number; biases: number } {
  if (cell.weightVariance === undefined) return { kernels: 0, biases: 0 };
  const sw = cell.weightVariance;
  const sb = cell.biasVariance ?? 0;
  let kernels = 0;
  let biases = 0;
  model.parameters().forEach((p, i) => {
    if (!p.name.startsWith('blocks.')) return;
    const shape = p.variable.shape;
    const seed = cell.seed * 1_000_003 + i + 17;
    if (p.role === 'kernel') {
      // Dense kernels are [in, out], conv kernels [kh, kw, in, out]: fan-in is all but the last axis.
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const values =
        sw === 0
          ? new Float32Array(p.variable.size)
          : initialize({ name: 'normal', variance: sw / fanIn }, shape, { seed });
      assignValues(p.variable, values);
      kernels += 1;
    } else if (p.role === 'bias') {
      const values =
        sb === 0
          ? new Float32Array(p.variable.size)
          : initialize({ name: 'normal', variance: sb }, shape, { seed });
      assignValues(p.variable, values);
      biases += 1;
    }
  });
  return { kernels, biases };
}

function assignValues(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape);
  try {
    v.assign(t);
  } finally {
    t.dispose();
  }
}

// The root README's example, run as a test: the measured vanishing factor of a deep sigmoid MLP
// must agree with the mean-field prediction that README prints beside it (an independent closed
// form: √χ₁ per layer, computed by quadrature in @gflow/core), and the residual MLP must not vanish.
import { initBackend } from '@gflow/backend';
import { meanField } from '@gflow/core';
import { measureGradientFlow } from '@gflow/diagnostics';
import { plainMLP, residualMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';

beforeAll(async () => {
  await initBackend();
});

it("README example: a 30-layer sigmoid MLP vanishes as mean field predicts; the residual one doesn't", () => {
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([64, 32], 0, 1, 'float32', 1);
  const y = tf.randomNormal([64, 10], 0, 1, 'float32', 2);
  const ratios: number[] = [];
  for (const build of [plainMLP, residualMLP]) {
    const net = build({
      depth: 30,
      width: 64,
      inputSize: 32,
      outputSize: 10,
      activation: 'sigmoid',
      init: 'xavier',
      seed: 0,
    });
    const report = measureGradientFlow(net, { inputs: x, targets: y, loss: 'meanSquaredError' });
    const first = report.taps[0]!.gradNorm as number;
    const last = report.taps.at(-1)!.gradNorm as number;
    ratios.push(first / last);
    if (build === plainMLP)
      expect(report.diagnosis.some((f) => f.kind === 'vanishing' && f.severity === 'error')).toBe(true);
    net.dispose();
  }
  const { chi1, phase } = meanField('sigmoid', { weightVariance: 1, biasVariance: 0 });
  const predicted = Math.sqrt(chi1) ** 29;
  expect(phase).toBe('ordered');
  // Width 64 and one batch: finite-width fluctuations compound over 29 layers; a factor of 3 on a
  // number of order 1e-19 is agreement.
  expect(Math.abs(Math.log10(ratios[0]!) - Math.log10(predicted))).toBeLessThan(Math.log10(3));
  expect(ratios[1]!).toBeGreaterThan(0.1);
  tf.dispose([x, y]);
  expect(tf.memory().numTensors).toBe(before);
});

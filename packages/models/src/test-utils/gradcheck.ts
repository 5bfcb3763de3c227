import * as tf from '@tensorflow/tfjs';
import { Rng } from '../internal/rng.js';

export interface GradMismatch {
  readonly variable: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * Compares tf.variableGrads of `loss` with central finite differences (f(θ+ε) − f(θ−ε))/2ε at `coords`
 * random coordinates of every variable. Returns the coordinates where |a − n| > atol + rtol·max(|a|, |n|).
 */
export function gradCheck(
  loss: () => tf.Scalar,
  vars: readonly { name: string; variable: tf.Variable }[],
  opts: { coords?: number; eps?: number; rtol?: number; atol?: number; seed?: number } = {},
): { mismatches: GradMismatch[]; checked: number } {
  const coords = opts.coords ?? 3;
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const rng = new Rng(opts.seed ?? 7);
  const { grads } = tf.tidy(() => {
    const r = tf.variableGrads(
      loss,
      vars.map((v) => v.variable),
    );
    r.value.dispose();
    return { grads: Object.fromEntries(Object.entries(r.grads).map(([k, g]) => [k, g.dataSync().slice()])) };
  });
  const mismatches: GradMismatch[] = [];
  let checked = 0;
  const evalLoss = (): number => tf.tidy(() => loss().dataSync()[0] as number);
  for (const { name, variable } of vars) {
    const g = grads[variable.name];
    const base = variable.dataSync().slice();
    for (let c = 0; c < Math.min(coords, base.length); c++) {
      const i = rng.int(base.length);
      const set = (v: number): void => {
        const copy = base.slice();
        copy[i] = v;
        tf.tidy(() => variable.assign(tf.tensor(copy, variable.shape)));
      };
      set((base[i] as number) + eps);
      const fp = evalLoss();
      set((base[i] as number) - eps);
      const fm = evalLoss();
      tf.tidy(() => variable.assign(tf.tensor(base, variable.shape)));
      const numeric = (fp - fm) / (2 * eps);
      const analytic = g ? (g[i] as number) : 0;
      checked++;
      if (!(Math.abs(analytic - numeric) <= atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric)))) {
        mismatches.push({ variable: name, index: i, analytic, numeric });
      }
    }
  }
  return { mismatches, checked };
}

/** A fixed random tensor from a seed (no tf randomness). */
export function seededNormal(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    new Float32Array(n).map(() => scale * rng.normal()),
    shape,
  );
}

import type { Context, Module, Parameter } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';

/** A seeded MLP Module built from tf.variable and ops, tapping every block output. */
export function tinyMLP(opts: {
  sizes: readonly number[];
  activation?: 'tanh' | 'relu' | 'linear';
  seed?: number;
  scale?: number;
  name?: string;
}): Module & { dispose(): void } {
  const name = opts.name ?? 'mlp';
  const act = opts.activation ?? 'tanh';
  const params: Parameter[] = [];
  const layers: { w: tf.Variable; b: tf.Variable }[] = [];
  for (let i = 0; i + 1 < opts.sizes.length; i++) {
    const fanIn = opts.sizes[i] as number;
    const fanOut = opts.sizes[i + 1] as number;
    // Variables are not tidied, their initial values are: nothing leaks.
    const w = tf.tidy(() =>
      tf.variable(
        tf.randomNormal(
          [fanIn, fanOut],
          0,
          (opts.scale ?? 1) / Math.sqrt(fanIn),
          'float32',
          (opts.seed ?? 1) + i,
        ),
        true,
        `${name}.blocks.${i}.kernel.${Math.random().toString(36).slice(2)}`,
      ),
    );
    const b = tf.tidy(() =>
      tf.variable(
        tf.zeros([fanOut]),
        true,
        `${name}.blocks.${i}.bias.${Math.random().toString(36).slice(2)}`,
      ),
    );
    layers.push({ w, b });
    params.push({ name: `blocks.${i}.kernel`, variable: w, role: 'kernel' });
    params.push({ name: `blocks.${i}.bias`, variable: b, role: 'bias' });
  }
  return {
    name,
    parameters: () => params,
    apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
      let h = x;
      layers.forEach(({ w, b }, i) => {
        let z = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b);
        if (i + 1 < layers.length) z = act === 'tanh' ? tf.tanh(z) : act === 'relu' ? tf.relu(z) : z;
        h = ctx ? ctx.tap(`blocks.${i}`, z) : z;
      });
      return h;
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}

/** Deterministic pseudo-random numbers in [-1, 1) (a linear congruential generator). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** A [rows, cols] tensor of seeded values in [-1, 1). */
export function randomMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const r = lcg(seed);
  return tf.tensor2d(Array.from({ length: rows * cols }, r), [rows, cols]);
}

/** Expects two arrays to agree within `atol + rtol·|b|`, entry by entry. */
export function close(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 0): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return false;
  }
  return true;
}

/** Runs `f` inside `tf.tidy` and returns its (non-tensor) result; kept tensors survive. */
export function tidyValue<T>(f: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = f();
  });
  return out;
}

// Small models and data for the tests, built from the Module protocol directly so that the tests
// do not depend on the model zoo. Values come from a seeded generator (float32-exact copies are
// kept as plain numbers so that an independent float64 implementation can use the same weights).
import type { Module, Parameter, ParameterRole } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../internal/random.js';

export type Act = 'tanh' | 'sigmoid' | 'relu';

export function act(name: Act, x: tf.Tensor): tf.Tensor {
  return name === 'tanh' ? tf.tanh(x) : name === 'sigmoid' ? tf.sigmoid(x) : tf.relu(x);
}

let counter = 0;
function param(name: string, role: ParameterRole, values: number[], shape: number[]): Parameter {
  counter++;
  return { name, role, variable: variableOf(values, shape, `${name}#${counter}`) };
}

function draw(rng: Random, n: number, scale: number): number[] {
  return Array.from({ length: n }, () => Math.fround(rng.normal() * scale));
}

export interface TestModule extends Module {
  dispose(): void;
}

/** x → act(x W1 + b1) W2 + b2, kernels [in, out]. */
export function mlp(opts: {
  inputs: number;
  hidden: number;
  outputs: number;
  activation: Act;
  seed: number;
}): TestModule {
  const rng = new Random(opts.seed);
  const { inputs, hidden, outputs } = opts;
  const ps = [
    param('l1.kernel', 'kernel', draw(rng, inputs * hidden, 1 / Math.sqrt(inputs)), [inputs, hidden]),
    param('l1.bias', 'bias', draw(rng, hidden, 0.1), [hidden]),
    param('l2.kernel', 'kernel', draw(rng, hidden * outputs, 1 / Math.sqrt(hidden)), [hidden, outputs]),
    param('l2.bias', 'bias', draw(rng, outputs, 0.1), [outputs]),
  ];
  const [w1, b1, w2, b2] = ps.map((p) => p.variable) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  return {
    name: 'mlp',
    parameters: () => ps,
    apply: (x) =>
      tf.tidy(() =>
        tf.add(
          tf.matMul(act(opts.activation, tf.add(tf.matMul(x as tf.Tensor2D, w1), b1)) as tf.Tensor2D, w2),
          b2,
        ),
      ),
    dispose: () => {
      for (const p of ps) p.variable.dispose();
    },
  };
}

/** A plain or residual stack of `depth` dense tanh blocks of width `width`, then a linear head. */
export function deepMlp(opts: {
  inputs: number;
  width: number;
  depth: number;
  outputs: number;
  residual: boolean;
  activation: Act;
  seed: number;
}): TestModule {
  const rng = new Random(opts.seed);
  const ps: Parameter[] = [
    param('in.kernel', 'kernel', draw(rng, opts.inputs * opts.width, 1 / Math.sqrt(opts.inputs)), [
      opts.inputs,
      opts.width,
    ]),
  ];
  for (let i = 0; i < opts.depth; i++) {
    ps.push(
      param(`blocks.${i}.kernel`, 'kernel', draw(rng, opts.width * opts.width, 1 / Math.sqrt(opts.width)), [
        opts.width,
        opts.width,
      ]),
    );
    ps.push(param(`blocks.${i}.bias`, 'bias', new Array(opts.width).fill(0), [opts.width]));
  }
  ps.push(
    param('head.kernel', 'kernel', draw(rng, opts.width * opts.outputs, 1 / Math.sqrt(opts.width)), [
      opts.width,
      opts.outputs,
    ]),
  );
  return {
    name: opts.residual ? 'residual' : 'plain',
    parameters: () => ps,
    apply: (x) =>
      tf.tidy(() => {
        let h = tf.matMul(x as tf.Tensor2D, ps[0]?.variable as tf.Variable) as tf.Tensor;
        for (let i = 0; i < opts.depth; i++) {
          const w = ps[1 + 2 * i]?.variable as tf.Variable;
          const b = ps[2 + 2 * i]?.variable as tf.Variable;
          const f = act(opts.activation, tf.add(tf.matMul(h as tf.Tensor2D, w), b));
          h = opts.residual ? tf.add(h, f) : f;
        }
        return tf.matMul(h as tf.Tensor2D, ps[ps.length - 1]?.variable as tf.Variable);
      }),
    dispose: () => {
      for (const p of ps) p.variable.dispose();
    },
  };
}

/** conv3x3 (valid, HWIO) → act → flatten → dense; input [n, 5, 5, cin]. */
export function convNet(opts: {
  cin: number;
  cout: number;
  outputs: number;
  activation: Act;
  seed: number;
}): TestModule {
  const rng = new Random(opts.seed);
  const flat = 3 * 3 * opts.cout;
  const ps = [
    param('conv.kernel', 'kernel', draw(rng, 9 * opts.cin * opts.cout, 1 / Math.sqrt(9 * opts.cin)), [
      3,
      3,
      opts.cin,
      opts.cout,
    ]),
    param('conv.bias', 'bias', draw(rng, opts.cout, 0.1), [opts.cout]),
    param('head.kernel', 'kernel', draw(rng, flat * opts.outputs, 1 / Math.sqrt(flat)), [flat, opts.outputs]),
    param('head.bias', 'bias', draw(rng, opts.outputs, 0.1), [opts.outputs]),
  ];
  const [k, b, w, c] = ps.map((p) => p.variable) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  return {
    name: 'conv',
    parameters: () => ps,
    apply: (x) =>
      tf.tidy(() => {
        const h = act(opts.activation, tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'), b));
        return tf.add(tf.matMul(tf.reshape(h, [x.shape[0] as number, flat]), w), c);
      }),
    dispose: () => {
      for (const p of ps) p.variable.dispose();
    },
  };
}

/** Inputs drawn from N(0, 1) and random one-hot labels, as plain numbers and as tensors. */
export function classification(seed: number, n: number, shape: readonly number[], classes: number) {
  const rng = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = draw(rng, n * size, 1);
  const labels = Array.from({ length: n }, () => Math.floor(rng.uniform() * classes));
  const y = labels.flatMap((l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0)));
  return {
    x,
    labels,
    y,
    xs: tf.tensor(x, [n, ...shape], 'float32'),
    ys: tf.tensor(y, [n, classes], 'float32'),
  };
}

/** A trainable variable from plain values, without leaving the initial tensor behind. */
export function variableOf(values: number[], shape: number[], name: string): tf.Variable {
  const init = tf.tensor(values, shape, 'float32');
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

/** The raw bytes of every parameter, to check that a call left them bit-identical. */
export function bits(m: Module): Uint8Array[] {
  return m.parameters().map((p) => new Uint8Array((p.variable.dataSync() as Float32Array).slice().buffer));
}

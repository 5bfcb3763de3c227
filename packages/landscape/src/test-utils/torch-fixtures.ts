// The two nets of fixtures/hessian-fixtures.json (made by fixtures/make-hessian-fixtures.py with
// PyTorch in float64), rebuilt in tfjs from the very same float32 weights and data, so that the
// fixture's exact Hessian spectrum is the spectrum of the loss the tests differentiate.
import { readFileSync } from 'node:fs';
import { softmaxCrossEntropy } from '@gflow/backend';
import type { Parameter, ParameterRole } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { variableOf } from './models.js';

export interface TorchCase {
  params: { name: string; shape: number[]; values: number[] }[];
  x: number[];
  xShape: number[];
  labels: number[];
  loss: number;
  dim: number;
  eigenvalues: number[];
  topByMagnitude: number[];
  trace: number;
  hessian: number[][] | null;
}

export interface TorchFixtures {
  generator: string;
  bnEps: number;
  cases: { tanhMlp: TorchCase; convBn: TorchCase };
}

export function loadTorchFixtures(): TorchFixtures {
  return JSON.parse(readFileSync(new URL('../../fixtures/hessian-fixtures.json', import.meta.url), 'utf8'));
}

export interface TorchNet {
  params: Parameter[];
  lossFn: () => tf.Scalar;
  dispose(): void;
}

let counter = 0;
function role(name: string): ParameterRole {
  return name.endsWith('kernel') ? 'kernel' : name.endsWith('bias') ? 'bias' : 'norm';
}

function build(c: TorchCase, forward: (x: tf.Tensor, v: tf.Variable[]) => tf.Tensor): TorchNet {
  counter++;
  const params: Parameter[] = c.params.map((p) => ({
    name: p.name,
    role: role(p.name),
    variable: variableOf(p.values, p.shape, `torch${counter}.${p.name}`),
  }));
  const x = tf.tensor(c.x, c.xShape, 'float32');
  const classes = c.params[c.params.length - 1]?.shape[0] as number;
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(c.labels, 'int32'), classes).toFloat());
  const vars = params.map((p) => p.variable);
  return {
    params,
    lossFn: () => tf.tidy(() => softmaxCrossEntropy(y, forward(x, vars))),
    dispose: () => {
      for (const p of params) p.variable.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/** x → tanh(x W1 + b1) W2 + b2, softmax cross-entropy (the net of issue 14). */
export function tanhMlpNet(f: TorchFixtures): TorchNet {
  return build(f.cases.tanhMlp, (x, [w1, b1, w2, b2]) =>
    tf.add(
      tf.matMul(
        tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1 as tf.Tensor)) as tf.Tensor2D,
        w2 as tf.Tensor2D,
      ),
      b2 as tf.Tensor,
    ),
  );
}

/** conv 3×3 valid (no bias) → batch norm with batch statistics → tanh → flatten → dense. */
export function convBnNet(f: TorchFixtures): TorchNet {
  const eps = f.bnEps;
  return build(f.cases.convBn, (x, [k, gamma, beta, w, b]) => {
    const z = tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid');
    const { mean, variance } = tf.moments(z, [0, 1, 2], true);
    const zn = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, eps)));
    const a = tf.tanh(tf.add(tf.mul(zn, gamma as tf.Tensor), beta as tf.Tensor));
    const n = x.shape[0] as number;
    return tf.add(tf.matMul(tf.reshape(a, [n, -1]) as tf.Tensor2D, w as tf.Tensor2D), b as tf.Tensor);
  });
}

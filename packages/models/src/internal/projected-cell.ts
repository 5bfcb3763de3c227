import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initialize } from '../initializers.js';
import { blockValues, Cell } from '../recurrent/rnn-core.js';
import { deriveSeed } from './rng.js';

/**
 * Initial values of a [rows, gates·cols] kernel: one block initialized whole, or `gates` gate blocks
 * initialized separately (`blockValues`).
 */
function kernelValues(spec: InitSpec, rows: number, cols: number, gates: number, seed: number): Float32Array {
  return gates === 1 ? initialize(spec, [rows, cols], { seed }) : blockValues(spec, rows, cols, gates, seed);
}

/**
 * A cell whose step starts from the projection u = x U + b: it owns `<prefix>.input.kernel`
 * ([inputSize, gates·H], role `'kernel'`) and `<prefix>.bias` ([gates·H], role `'bias'`), registered
 * first and in that order.
 */
export abstract class ProjectedCell extends Cell {
  readonly projectedSize: number;
  private readonly inputKernel: tf.Variable;
  private readonly bias: tf.Variable;

  /** `bias` holds the initial values of b (zeros when omitted). */
  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    protected readonly gates: number,
    init: InitSpec,
    seed: number,
    bias: Float32Array = new Float32Array(gates * hiddenSize),
  ) {
    super(prefix, inputSize, hiddenSize);
    this.projectedSize = gates * hiddenSize;
    const kName = `${prefix}.input.kernel`;
    this.inputKernel = this.addParam(
      kName,
      kernelValues(init, inputSize, hiddenSize, gates, deriveSeed(seed, kName)),
      [inputSize, this.projectedSize],
      'kernel',
    ).variable;
    this.bias = this.addParam(`${prefix}.bias`, bias, [this.projectedSize], 'bias').variable;
  }

  project(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.inputKernel as tf.Tensor2D), this.bias);
  }
}

/**
 * A projected cell with a plain recurrent kernel W: `<prefix>.recurrent.kernel` ([H, gates·H], role
 * `'recurrent'`), registered after the input kernel and bias; `recurrentMatrix()` is a copy of W.
 */
export abstract class KernelCell extends ProjectedCell {
  protected readonly recurrent: tf.Variable;

  constructor(
    prefix: string,
    inputSize: number,
    hiddenSize: number,
    gates: number,
    init: InitSpec,
    recurrentInit: InitSpec,
    seed: number,
    bias?: Float32Array,
  ) {
    super(prefix, inputSize, hiddenSize, gates, init, seed, bias);
    const rName = `${prefix}.recurrent.kernel`;
    this.recurrent = this.addParam(
      rName,
      kernelValues(recurrentInit, hiddenSize, hiddenSize, gates, deriveSeed(seed, rName)),
      [hiddenSize, this.projectedSize],
      'recurrent',
    ).variable;
  }

  recurrentMatrix(): tf.Tensor2D {
    return tf.clone(this.recurrent) as tf.Tensor2D;
  }
}

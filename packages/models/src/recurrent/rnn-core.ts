import { InvalidArgumentError, ShapeError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initialize, validateInit } from '../initializers.js';
import { BaseModule } from '../internal/base-module.js';
import { fusedGru, fusedGruAvailable } from '../internal/fused-gru.js';
import { fusedLstm, fusedLstmAvailable } from '../internal/fused-lstm.js';
import { fusedTanhRnn, fusedTanhRnnAvailable } from '../internal/fused-tanh-rnn.js';
import { resolveRegularizers } from '../internal/recurrent-options.js';
import { type RecurrentRegularizers, StackRegularizers } from '../internal/recurrent-regularizers.js';
import { deriveSeed } from '../internal/rng.js';
import { unstack } from '../internal/unstack.js';
import { checkInt, checkNumber, checkParameterCount, checkShape } from '../internal/validate.js';
import { zerosOnTape } from '../internal/zeros-on-tape.js';
import { DenseLayer } from '../layers/dense.js';
import { type Context, isIdentityContext } from '../module.js';
import type { RecurrentModel, RecurrentOptions } from './options.js';

/** One recurrent layer's cell. @internal */
export abstract class Cell extends BaseModule {
  /** Size of the projected input per step. */
  abstract readonly projectedSize: number;
  /** Number of state tensors (1, or 2 for LSTM); state[0] is h. */
  readonly stateCount: number = 1;

  constructor(
    name: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
  ) {
    super(name);
  }

  checkInput(_x: tf.Tensor): void {}

  /**
   * One step from the zero state: x [batch, inputSize] → h₁ [batch, hiddenSize] (the stack runs
   * `project`/`step` over a sequence itself; this keeps the Module contract for a cell on its own).
   */
  forward(x: tf.Tensor, _ctx: Context): tf.Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inputSize)
      throw new ShapeError(
        `${this.name}.forward: x must be [batch, ${this.inputSize}] (one step of a cell), got [${x.shape.join(', ')}]`,
      );
    const b = x.shape[0] as number;
    const state = Array.from(
      { length: this.stateCount },
      () => tf.zeros([b, this.hiddenSize]) as tf.Tensor2D,
    );
    return this.step(this.project(x as tf.Tensor2D), state, this.prepare())[0] as tf.Tensor2D;
  }

  /** Per-apply precomputation (the recurrent matrix). */
  prepare(): tf.Tensor | undefined {
    return undefined;
  }

  /** [n, inputSize] → [n, projectedSize]. */
  abstract project(x: tf.Tensor2D): tf.Tensor2D;

  /**
   * One step: u [batch, projectedSize], state → new state. `recurrentInput` is h_{t−1} as the
   * recurrent matrix sees it (recurrent dropout's masked copy); state[0] when undefined.
   */
  abstract step(
    u: tf.Tensor2D,
    state: tf.Tensor2D[],
    prepared: tf.Tensor | undefined,
    recurrentInput?: tf.Tensor2D,
  ): tf.Tensor2D[];

  /**
   * Which fused sequence op computes exactly this cell's steps, and its recurrent kernel W:
   * `'tanh'` for h' = tanh(u + h W) (a vanilla tanh cell), `'lstm'` for the LSTM step (gate order
   * i, f, g, o), `'gru'` for the GRU step (gate order r, z, n, with its recurrent bias); undefined
   * (the default) when none does.
   */
  fusedKernel(): FusedCell | undefined {
    return undefined;
  }

  /** The recurrent matrix for inspection (caller disposes). */
  abstract recurrentMatrix(): tf.Tensor2D;
}

/** A cell that a fused sequence op can run (see {@link Cell.fusedKernel}). @internal */
export interface FusedCell {
  readonly kind: 'tanh' | 'lstm' | 'gru';
  readonly w: tf.Tensor2D;
  /** The recurrent bias (GRU's b_h, inside the reset gate's product). */
  readonly b?: tf.Tensor1D;
}

/** Validated shared recurrent options. @internal */
export interface RecurrentResolved {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly outputSize: number | undefined;
  readonly returnSequences: boolean;
  readonly seed: number;
  readonly regularizers: RecurrentRegularizers;
}

/**
 * Validates the shared recurrent options (no tensors); `zoneoutCell` is LSTM's. `recurrent` says
 * how the size check counts the hidden-to-hidden weights: an H×H `matrix` per layer, or one weight
 * per unit (`diagonal`, IndRNN's), so that a large diagonal net is not refused for an H² it lacks.
 * @internal
 */
export function resolveRecurrent(
  fn: string,
  o: RecurrentOptions,
  zoneoutCell?: number,
  recurrent: 'matrix' | 'diagonal' = 'matrix',
): RecurrentResolved {
  const inputSize = checkInt(fn, 'options.inputSize', o.inputSize);
  const hiddenSize = checkInt(fn, 'options.hiddenSize', o.hiddenSize);
  const layers = checkInt(fn, 'options.layers', o.layers ?? 1);
  const outputSize =
    o.outputSize === undefined ? undefined : checkInt(fn, 'options.outputSize', o.outputSize);
  // at least one gate per layer (LSTM has four, GRU three): a lower bound of the parameter count
  const hh = recurrent === 'matrix' ? hiddenSize : 1;
  checkParameterCount(
    fn,
    (inputSize + hh + 1) * hiddenSize +
      (layers - 1) * (hiddenSize + hh + 1) * hiddenSize +
      (hiddenSize + 1) * (outputSize ?? 0),
  );
  const seed = checkNumber(fn, 'options.seed', o.seed ?? 0);
  if (o.init !== undefined) validateInit(o.init, fn, 'options.init');
  const regularizers = resolveRegularizers(fn, o, zoneoutCell);
  return {
    inputSize,
    hiddenSize,
    layers,
    outputSize,
    returnSequences: o.returnSequences ?? false,
    seed,
    regularizers,
  };
}

/**
 * The fused kernel a layer runs as, if any: a vanilla tanh, LSTM or GRU cell runs as one fused op
 * where the engine has the kernels (wasm). The caller also declines it when a regularizer changes
 * the step, and falls back when the listener wants the taps one step at a time.
 */
function fusion(cell: Cell): ReturnType<Cell['fusedKernel']> {
  const f = cell.fusedKernel();
  if (f === undefined) return undefined;
  const available =
    f.kind === 'tanh'
      ? fusedTanhRnnAvailable()
      : f.kind === 'lstm'
        ? fusedLstmAvailable()
        : fusedGruAvailable();
  return available ? f : undefined;
}

/** The stacked recurrent runner shared by every family. @internal */
export class RecurrentStack extends BaseModule implements RecurrentModel {
  readonly hiddenSize: number;
  readonly layers: number;
  private readonly cells: Cell[];
  private readonly readout: DenseLayer | undefined;
  private readonly inputSize: number;
  private readonly returnSequences: boolean;
  private readonly regularizers: StackRegularizers;

  constructor(
    fn: string,
    r: RecurrentResolved,
    makeCell: (layer: number, inputSize: number, prefix: string) => Cell,
  ) {
    super(fn);
    this.hiddenSize = r.hiddenSize;
    this.layers = r.layers;
    this.inputSize = r.inputSize;
    this.returnSequences = r.returnSequences;
    this.regularizers = new StackRegularizers(r.regularizers);
    this.cells = [];
    for (let l = 0; l < r.layers; l++) {
      this.cells.push(this.addChild(makeCell(l, l === 0 ? r.inputSize : r.hiddenSize, `layers.${l}`)));
    }
    this.readout =
      r.outputSize === undefined
        ? undefined
        : this.addChild(
            new DenseLayer({
              inputSize: r.hiddenSize,
              outputSize: r.outputSize,
              seed: r.seed,
              name: 'readout',
            }),
          );
  }

  checkInput(x: tf.Tensor): void {
    checkShape(`${this.name}.apply`, 'x', x, [null, null, this.inputSize]);
    if ((x.shape[1] as number) < 1) {
      throw new ShapeError(
        `${this.name}.apply: x must have at least one time step, got shape [${x.shape.join(', ')}]`,
      );
    }
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    const [b, T] = x.shape as [number, number, number];
    let seq = x as tf.Tensor3D;
    let outs: tf.Tensor2D[] = [];
    const regularizer = this.regularizers.forCall(ctx.training);
    this.cells.forEach((cell, l) => {
      const pfx = this.layers > 1 ? `layers.${l}.` : '';
      const flat = tf.reshape(seq, [b * T, cell.inputSize]) as tf.Tensor2D;
      const proj = tf.reshape(cell.project(flat), [b, T, cell.projectedSize]) as tf.Tensor3D;
      const reg = regularizer?.(l, b, cell.hiddenSize);
      const fused = reg === undefined ? fusion(cell) : undefined;
      // The steps' projected inputs (a fused layer takes them whole, and unstacks only if the
      // listener declines the fused taps).
      let us = fused === undefined ? (unstack(proj, 1) as tf.Tensor2D[]) : undefined;
      // A plain zero h₀ depends on nothing watched, so tfjs would prune the tap's gradient hook and
      // ∂L/∂h₀ would never be seen. For a listening context h₀ is zeros placed on the tape as a
      // function of what the first step depends on (its projected input, and the cell's
      // parameters), with an exact zero gradient to them: `h.init` is then observable whenever
      // `h.0` is. A fused layer has no first projected input of its own, and the whole projection
      // would cost a zero gradient of its size added to ∂L/∂u on every backward pass; it anchors on
      // the layer's input instead, which with the parameters is everything the projection depends
      // on (and whose zero gradient is dropped unless the input is watched). Without a listener h₀
      // is plain zeros, as before.
      const identity = isIdentityContext(ctx);
      const h0 = identity
        ? tf.zeros([b, cell.hiddenSize])
        : zerosOnTape(
            [b, cell.hiddenSize],
            [us === undefined ? seq : (us[0] as tf.Tensor2D), ...cell.parameters().map((p) => p.variable)],
          );
      const state: tf.Tensor2D[] = [ctx.tap(`${pfx}h.init`, h0) as tf.Tensor2D];
      if (fused !== undefined) {
        // The steps' taps h.0 … h.<T−1> as one: the listener receives ∂L/∂h_t of every step from
        // the fused backward pass. A listener without tapSteps, or one that declines, gets them
        // step by step below (h.init is already tapped, in its place before h.0).
        const sink = identity
          ? undefined
          : ctx.tapSteps?.(
              Array.from({ length: T }, (_, t) => `${pfx}h.${t}`),
              [b, cell.hiddenSize],
            );
        if (identity || sink !== undefined) {
          const h0f = state[0] as tf.Tensor2D;
          seq =
            fused.kind === 'tanh'
              ? fusedTanhRnn(proj, fused.w, h0f, sink)
              : fused.kind === 'lstm'
                ? fusedLstm(proj, fused.w, h0f, sink)
                : fusedGru(proj, fused.w, fused.b as tf.Tensor1D, h0f, sink);
          outs = [];
          return;
        }
      }
      us ??= unstack(proj, 1) as tf.Tensor2D[];
      const prepared = cell.prepare();
      for (let s = 1; s < cell.stateCount; s++) state.push(tf.zeros([b, cell.hiddenSize]));
      outs = [];
      let st = state;
      for (let t = 0; t < T; t++) {
        const next = cell.step(us[t] as tf.Tensor2D, st, prepared, reg?.recurrentInput(st[0] as tf.Tensor2D));
        st = reg ? reg.update(st, next) : next;
        st[0] = ctx.tap(`${pfx}h.${t}`, st[0] as tf.Tensor2D) as tf.Tensor2D;
        outs.push(st[0] as tf.Tensor2D);
      }
      if (l < this.cells.length - 1) seq = tf.stack(outs, 1) as tf.Tensor3D;
    });
    if (this.returnSequences) {
      // outs is empty when the last layer ran fused: its whole sequence is seq.
      const all = outs.length === 0 ? seq : tf.stack(outs, 1);
      return this.readout ? this.readout.forward(all) : all;
    }
    if (outs.length === 0) {
      const h = this.hiddenSize;
      const last = tf.reshape(tf.slice(seq, [0, T - 1, 0], [b, 1, h]), [b, h]);
      return this.readout ? this.readout.forward(last) : last;
    }
    const last = outs[outs.length - 1] as tf.Tensor2D;
    return this.readout ? this.readout.forward(last) : tf.clone(last);
  }

  recurrentMatrix(layer = 0): tf.Tensor2D {
    const l = checkInt(`${this.name}.recurrentMatrix`, 'layer', layer, 0);
    const cell = this.cells[l];
    if (!cell) {
      throw new InvalidArgumentError(
        `${this.name}.recurrentMatrix: layer must be an integer in [0, ${this.layers - 1}], got ${layer}`,
      );
    }
    return tf.tidy(() => (cell as Cell).recurrentMatrix());
  }
}

/** Real modReLU: sign(z)·relu(|z| + b) (Arjovsky et al. 2016). @internal */
export function modRelu(z: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sign(z), tf.relu(tf.add(tf.abs(z), b)));
}

/** Draws `blocks` independent [rows, cols] blocks side by side: [rows, blocks·cols]. @internal */
export function blockValues(
  spec: InitSpec,
  rows: number,
  cols: number,
  blocks: number,
  seed: number,
): Float32Array {
  const out = new Float32Array(rows * cols * blocks);
  for (let g = 0; g < blocks; g++) {
    const v = initialize(spec, [rows, cols], { seed: deriveSeed(seed, `block${g}`) });
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[i * cols * blocks + g * cols + j] = v[i * cols + j] as number;
  }
  return out;
}

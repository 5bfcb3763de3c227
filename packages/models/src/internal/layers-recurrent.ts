/**
 * Unrolling tfjs-layers' recurrent layers (`SimpleRNN`, `LSTM`, `GRU`, and `Bidirectional` around
 * one of them) step by step with the layer's own weights, so that every hidden state h_t is a
 * tensor of its own that a context can tap. The step functions follow tfjs-layers 4.22's cells
 * exactly (gate order, where the bias enters, the activations the layer holds), so the unrolled
 * layer computes what `layer.apply` computes.
 *
 * @internal
 */
import { UnsupportedError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type Context, isIdentityContext } from '../module.js';
import { unstack } from './unstack.js';
import { zerosOnTape } from './zeros-on-tape.js';

/** An activation object as tfjs-layers holds it (`tanh`, `hardSigmoid`, `linear`, …). */
interface TfActivation {
  apply(x: tf.Tensor): tf.Tensor;
}
interface TfWeight {
  read(): tf.Tensor;
}
/** The parts of a tfjs-layers RNN cell read here. */
interface TfCell {
  readonly units: number;
  readonly kernel: TfWeight;
  readonly recurrentKernel: TfWeight;
  readonly bias: TfWeight | null;
  readonly activation: TfActivation | null;
  readonly recurrentActivation?: TfActivation;
  readonly dropout: number;
  readonly recurrentDropout: number;
}
/** The parts of a tfjs-layers RNN layer read here. */
interface TfRecurrentLayer {
  readonly name: string;
  readonly cell: TfCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  getClassName(): string;
}
interface TfBidirectional {
  readonly name: string;
  readonly forwardLayer: TfRecurrentLayer;
  readonly backwardLayer: TfRecurrentLayer;
  readonly mergeMode: 'concat' | 'sum' | 'mul' | 'ave' | null | undefined;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  getClassName(): string;
}

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';
const KINDS: readonly string[] = ['SimpleRNN', 'LSTM', 'GRU'];

/** One direction of a recurrent layer, checked. */
interface Direction {
  readonly kind: Kind;
  readonly layer: TfRecurrentLayer;
  /** Tap prefix after `layers.<name>.`: '' or 'forward.' / 'backward.'. */
  readonly tag: string;
}

/** A recurrent layer the adapter unrolls itself. @internal */
export interface RecurrentPlan {
  readonly name: string;
  readonly directions: readonly Direction[];
  /** Bidirectional merge mode (undefined for a plain layer). */
  readonly mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' | null;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
}

function checkDirection(fn: string, owner: string, layer: TfRecurrentLayer, tag: string): Direction {
  const kind = layer.getClassName() as Kind;
  const what = `layer "${owner}" (${kind}${tag ? `, ${tag.slice(0, -1)} direction` : ''})`;
  if (layer.stateful) {
    throw new UnsupportedError(
      `${fn}: ${what} is stateful (stateful: true); its state carries over between calls, which a per-call gradient cannot follow. Rebuild it with stateful: false (the default).`,
    );
  }
  const cell = layer.cell;
  if (cell.dropout > 0 || cell.recurrentDropout > 0) {
    throw new UnsupportedError(
      `${fn}: ${what} has dropout ${cell.dropout} and recurrentDropout ${cell.recurrentDropout}; the unrolled layer supports 0 for both (tfjs draws its masks inside the layer, where they cannot be reproduced). Set both to 0 for the analysis (the weights stay valid).`,
    );
  }
  if (kind !== 'SimpleRNN' && cell.recurrentActivation === undefined) {
    throw new UnsupportedError(`${fn}: ${what} has no recurrentActivation, which ${kind} needs`);
  }
  return { kind, layer, tag };
}

/**
 * The plan for a layer, or undefined when it is not a recurrent layer the adapter unrolls.
 *
 * @param fn - Function name for messages.
 * @param layer - A tfjs layer.
 * @param hasMask - Whether a mask reaches the layer (from `Masking` or `Embedding({ maskZero })`);
 *   asked only of recurrent layers.
 * @param inputs - Number of tensors the layer is called with (more than one: an initial state).
 * @throws UnsupportedError for a stateful layer, dropout or recurrent dropout, a mask, an initial
 *   state passed in, or a Bidirectional around a layer that is not SimpleRNN, LSTM or GRU.
 * @internal
 */
export function recurrentPlan(
  fn: string,
  layer: { readonly name: string; getClassName(): string },
  hasMask: () => boolean,
  inputs: number,
): RecurrentPlan | undefined {
  const cls = layer.getClassName();
  let plan: RecurrentPlan;
  if (KINDS.includes(cls)) {
    const l = layer as unknown as TfRecurrentLayer;
    plan = {
      name: l.name,
      directions: [checkDirection(fn, l.name, l, '')],
      returnSequences: l.returnSequences,
      returnState: l.returnState,
    };
  } else if (cls === 'Bidirectional') {
    const b = layer as unknown as TfBidirectional;
    const inner = b.forwardLayer.getClassName();
    if (!KINDS.includes(inner)) {
      throw new UnsupportedError(
        `${fn}: layer "${b.name}" is a Bidirectional around a ${inner}; SimpleRNN, LSTM and GRU are supported`,
      );
    }
    plan = {
      name: b.name,
      directions: [
        checkDirection(fn, b.name, b.forwardLayer, 'forward.'),
        checkDirection(fn, b.name, b.backwardLayer, 'backward.'),
      ],
      mergeMode: b.mergeMode ?? null,
      returnSequences: b.returnSequences,
      returnState: b.returnState,
    };
  } else {
    return undefined;
  }
  if (hasMask()) {
    throw new UnsupportedError(
      `${fn}: layer "${plan.name}" (${cls}) receives a mask (from a Masking layer or an Embedding with maskZero); masked time steps are not supported by the unrolled layer. Remove the mask (pad with values the model tolerates) for the analysis.`,
    );
  }
  if (inputs !== 1) {
    throw new UnsupportedError(
      `${fn}: layer "${plan.name}" (${cls}) is called with ${inputs} tensors (an initial state passed in); only the zero initial state is supported`,
    );
  }
  return plan;
}

function act(a: TfActivation | null | undefined, x: tf.Tensor): tf.Tensor {
  return a ? a.apply(x) : x;
}

/** One step of the cell as tfjs-layers 4.22 computes it: u = x_t·K (+ b), state → new state. */
function step(
  kind: Kind,
  cell: TfCell,
  u: tf.Tensor2D,
  state: tf.Tensor2D[],
  rk: tf.Tensor2D,
): tf.Tensor2D[] {
  const h = state[0] as tf.Tensor2D;
  if (kind === 'SimpleRNN') {
    return [act(cell.activation, tf.add(u, tf.matMul(h, rk))) as tf.Tensor2D];
  }
  const ra = cell.recurrentActivation as TfActivation;
  if (kind === 'LSTM') {
    // z = x·K + h·R + b, gates [i, f, c, o]; c_t = f⊙c + i⊙φ(z_c); h_t = o⊙φ(c_t).
    const z = tf.add(u, tf.matMul(h, rk));
    const [z0, z1, z2, z3] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const c = tf.add(
      tf.mul(ra.apply(z1), state[1] as tf.Tensor2D),
      tf.mul(ra.apply(z0), act(cell.activation, z2)),
    ) as tf.Tensor2D;
    return [tf.mul(ra.apply(z3), act(cell.activation, c)) as tf.Tensor2D, c];
  }
  // GRU (tfjs: reset before the recurrent product, one bias): gates [z, r, h̃];
  // z = σ(x_z + h·R_z), r = σ(x_r + h·R_r), h̃ = φ(x_h + (r⊙h)·R_h), h_t = z⊙h + (1 − z)⊙h̃.
  const units = cell.units;
  const [rk1, rk2] = tf.split(rk, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [xz, xr, xh] = tf.split(u, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [rz, rr] = tf.split(tf.matMul(h, rk1), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const z = ra.apply(tf.add(xz, rz));
  const r = ra.apply(tf.add(xr, rr));
  const hh = act(cell.activation, tf.add(xh, tf.matMul(tf.mul(r, h) as tf.Tensor2D, rk2)));
  return [tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D];
}

/** Runs one direction; returns the per-step outputs (processing order) and the final states. */
function runDirection(
  d: Direction,
  x: tf.Tensor3D,
  ctx: Context,
  prefix: string,
): { outs: tf.Tensor2D[]; states: tf.Tensor2D[] } {
  const [b, T, inSize] = x.shape;
  const cell = d.layer.cell;
  const H = cell.units;
  const kernel = cell.kernel.read() as tf.Tensor2D;
  const rk = cell.recurrentKernel.read() as tf.Tensor2D;
  const bias = cell.bias ? (cell.bias.read() as tf.Tensor1D) : undefined;
  // The input projection of every step at once: [b·T, in]·K (+ b) → [b, T, gates·H], the time
  // axis reversed first for goBackwards (as tfjs does).
  const xs = d.layer.goBackwards ? tf.reverse(x, 1) : x;
  let proj = tf.matMul(tf.reshape(xs, [b * T, inSize]) as tf.Tensor2D, kernel) as tf.Tensor2D;
  if (bias) proj = tf.add(proj, bias) as tf.Tensor2D;
  const us = unstack(tf.reshape(proj, [b, T, kernel.shape[1]]), 1) as tf.Tensor2D[];
  // As in gflow's recurrent stack: the zero h₀ is placed on the tape when someone listens, so
  // that a tap on it receives ∂L/∂h₀ (exactly zero gradient to its anchors).
  const anchors = [us[0] as tf.Tensor2D, kernel, rk, ...(bias ? [bias] : [])];
  const h0 = isIdentityContext(ctx) ? tf.zeros([b, H]) : zerosOnTape([b, H], anchors);
  let state: tf.Tensor2D[] = [ctx.tap(`${prefix}h.init`, h0) as tf.Tensor2D];
  if (d.kind === 'LSTM') state.push(tf.zeros([b, H]));
  const outs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    state = step(d.kind, cell, us[t] as tf.Tensor2D, state, rk);
    state[0] = ctx.tap(`${prefix}h.${t}`, state[0] as tf.Tensor2D) as tf.Tensor2D;
    outs.push(state[0] as tf.Tensor2D);
  }
  return { outs, states: state };
}

/**
 * Runs a planned recurrent layer on x [batch, time, features], tapping h.init and h.<t> of every
 * direction under `layers.<name>.` (Bidirectional: `layers.<name>.forward.` and `.backward.`);
 * t counts the steps in the order the layer takes them (for goBackwards, step t reads input
 * T − 1 − t). The result has the layer's own output structure (the output, then the final states
 * with returnState; a Bidirectional with mergeMode null returns both directions' outputs).
 *
 * @internal
 */
export function runRecurrent(plan: RecurrentPlan, x: tf.Tensor, ctx: Context): tf.Tensor | tf.Tensor[] {
  if (x.rank !== 3 || (x.shape[1] as number) < 1) {
    throw new UnsupportedError(
      `fromLayersModel: layer "${plan.name}" needs an input [batch, time ≥ 1, features], got shape [${x.shape.join(', ')}]`,
    );
  }
  const results = plan.directions.map((d) =>
    runDirection(d, x as tf.Tensor3D, ctx, `layers.${plan.name}.${d.tag}`),
  );
  const outputs = results.map(({ outs }, k) => {
    if (!plan.returnSequences) return outs[outs.length - 1] as tf.Tensor2D;
    // tfjs stacks a goBackwards layer's outputs in the order it takes them; Bidirectional turns
    // the backward direction's sequence back into input order.
    const seq = tf.stack(outs, 1);
    return k === 1 ? tf.reverse(seq, 1) : seq;
  });
  const states = results.flatMap((r) => r.states);
  let merged: tf.Tensor[];
  if (plan.directions.length === 1) merged = [outputs[0] as tf.Tensor];
  else {
    const [y, yRev] = outputs as [tf.Tensor, tf.Tensor];
    switch (plan.mergeMode) {
      case 'concat':
        merged = [tf.concat([y, yRev], -1)];
        break;
      case 'sum':
        merged = [tf.add(y, yRev)];
        break;
      case 'ave':
        merged = [tf.mul(0.5, tf.add(y, yRev))];
        break;
      case 'mul':
        merged = [tf.mul(y, yRev)];
        break;
      default:
        merged = [y, yRev];
    }
  }
  if (plan.returnState) return [...merged, ...states];
  return merged.length === 1 ? (merged[0] as tf.Tensor) : merged;
}

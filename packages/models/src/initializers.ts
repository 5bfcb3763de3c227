import { activationGain, checkAllocation, describeValue, InvalidArgumentError } from '@gflow/core';
import { haarOrthogonal } from '@gflow/core/internal';
import { type ActivationName, resolveActivation } from './activations.js';
import { Rng } from './internal/rng.js';
import { checkInt, checkName, checkNumber, checkOneOf, checkOptions } from './internal/validate.js';

/** The initializer names. */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'constant'
  | 'normal'
  | 'uniform'
  | 'xavier'
  | 'he'
  | 'lecun'
  | 'orthogonal'
  | 'scaledOrthogonal'
  | 'identity'
  | 'lsuv'
  | 'chrono';

/** Every {@link InitializerName}. */
export const initializerNames: readonly InitializerName[] = [
  'zeros',
  'ones',
  'constant',
  'normal',
  'uniform',
  'xavier',
  'he',
  'lecun',
  'orthogonal',
  'scaledOrthogonal',
  'identity',
  'lsuv',
  'chrono',
];

/**
 * An initializer: a name, or an object with the name and its settings.
 *
 * - `constant`: `value` (required).
 * - `normal`: N(mean, variance) — `variance` required, `mean` default 0.
 * - `uniform`: U(−a, a) with a = √(3·variance) — `variance` required.
 * - `xavier` (Glorot and Bengio 2010): variance gain²·2/(fanIn+fanOut); `he` (He et al. 2015):
 *   gain²·2/fanIn; `lecun` (LeCun et al. 1998): gain²/fanIn; each with `distribution`
 *   `'normal'` (default) or `'uniform'`.
 * - `orthogonal`: a Haar-random orthogonal matrix times `gain` (default 1; Saxe et al. 2014,
 *   Mezzadri 2007); kernels of rank > 2 are flattened to [∏shape[:-1], shape[-1]].
 * - `scaledOrthogonal`: orthogonal times the gain of `activation` by `@gflow/core`'s
 *   `activationGain(name)` convention: PyTorch's `calculate_gain` where it has a value (linear and
 *   sigmoid 1 — not 1/√E[sigmoid(z)²] = 1.846 — tanh 5/3, relu √2, leakyRelu √(2/(1+α²)), selu 3/4),
 *   else 1/√E[φ(z)²], z ~ N(0, 1) (elu 1.245, gelu 1.534, silu and swish 1.677, mish 1.487, softplus 1.042).
 * - `identity`: `gain`·I (a Dirac kernel for convolutions; Le et al. 2015's IRNN).
 * - `lsuv`: orthogonal pre-initialization; call `lsuvInit` with data to finish (Mishkin and Matas 2016).
 * - `chrono`: gate biases log(U(1, maxTimescale − 1)) (Tallec and Ollivier 2018), `maxTimescale` required.
 */
export type InitSpec = InitializerName | InitConfig;

/** An initializer with its settings (see {@link InitSpec} for which apply to which name). */
export interface InitConfig {
  /** The initializer. */
  readonly name: InitializerName;
  /** The value of `constant`. */
  readonly value?: number;
  /** The variance of `normal` and `uniform`. */
  readonly variance?: number;
  /** The mean of `normal` and `uniform` (default 0). */
  readonly mean?: number;
  /** Multiplier of the standard deviation (xavier, he, lecun) or of the matrix (orthogonal, identity); default 1. */
  readonly gain?: number;
  /** Distribution of xavier, he and lecun (default `'normal'`). */
  readonly distribution?: 'normal' | 'uniform';
  /** The activation whose gain `scaledOrthogonal` uses (default `'linear'`). */
  readonly activation?: ActivationName;
  /** T_max of `chrono`. */
  readonly maxTimescale?: number;
}

/** Where and how an initializer draws. */
export interface InitializeOptions {
  /** Seed of the draw; same seed ⇒ identical values. Default 0. */
  readonly seed?: number;
  /** Fan-in override (default from the shape). */
  readonly fanIn?: number;
  /** Fan-out override (default from the shape). */
  readonly fanOut?: number;
}

interface Resolved {
  readonly name: InitializerName;
  readonly value: number;
  readonly variance: number;
  readonly mean: number;
  readonly gain: number;
  readonly distribution: 'normal' | 'uniform';
  readonly maxTimescale: number;
}

/**
 * Validates an initializer spec without drawing (and without allocating tensors).
 *
 * @param spec - The initializer.
 * @param fnName - The calling function, for messages.
 * @param arg - The argument's name, for messages.
 * @returns Nothing; throws when invalid.
 * @throws InvalidArgumentError (from `@gflow/core`) for an unknown name or a missing/invalid setting.
 * @example
 * ```ts
 * validateInit({ name: 'normal', variance: 0.1 }, 'myFn', 'options.init');
 * ```
 */
export function validateInit(spec: InitSpec, fnName: string, arg: string): void {
  checkName('validateInit', fnName, arg);
  resolveInit(spec, fnName, arg);
}

function resolveInit(spec: InitSpec, fn: string, arg: string): Resolved {
  const isObj = typeof spec === 'object' && spec !== null;
  const name = checkOneOf(fn, isObj ? `${arg}.name` : arg, isObj ? spec.name : spec, initializerNames);
  const o = isObj ? spec : { name };
  const need = (key: 'value' | 'variance' | 'maxTimescale'): number => {
    const v = (o as unknown as Record<string, unknown>)[key];
    if (v === undefined) {
      throw new InvalidArgumentError(`${fn}: ${arg}.${key} must be given for '${name}', got undefined`);
    }
    return checkNumber(fn, `${arg}.${key}`, v);
  };
  const value = name === 'constant' ? need('value') : name === 'ones' ? 1 : 0;
  let variance = 0;
  if (name === 'normal' || name === 'uniform')
    variance = checkNumber(fn, `${arg}.variance`, need('variance'), 0);
  const mean = o.mean === undefined ? 0 : checkNumber(fn, `${arg}.mean`, o.mean);
  let gain = o.gain === undefined ? 1 : checkNumber(fn, `${arg}.gain`, o.gain);
  if (name === 'scaledOrthogonal') {
    const act = resolveActivation(o.activation ?? 'linear', fn, `${arg}.activation`);
    gain = activationGain(act.name, { alpha: act.alpha });
  }
  const distribution =
    o.distribution === undefined
      ? 'normal'
      : checkOneOf(fn, `${arg}.distribution`, o.distribution, ['normal', 'uniform']);
  let maxTimescale = 0;
  if (name === 'chrono') {
    maxTimescale = need('maxTimescale');
    if (maxTimescale <= 2) {
      throw new InvalidArgumentError(
        `${fn}: ${arg}.maxTimescale must be > 2, got ${describeValue(maxTimescale)}`,
      );
    }
  }
  return { name, value, variance, mean, gain, distribution, maxTimescale };
}

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0] as number, shape[0] as number];
  const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [rf * (shape[shape.length - 2] as number), rf * (shape[shape.length - 1] as number)];
}

/**
 * Draws initial values for a tensor of `shape` (row-major, float32).
 *
 * @param spec - The initializer (see {@link InitSpec}).
 * @param shape - The tensor's shape.
 * @param options - Seed and fan overrides.
 * @returns The values, `∏shape` long.
 * @throws InvalidArgumentError (from `@gflow/core`) for an invalid spec, or an initializer that does
 *   not fit the shape (orthogonal on 1-D, chrono on a matrix).
 * @example
 * ```ts
 * const w = initialize({ name: 'orthogonal', gain: 0.9 }, [16, 16], { seed: 1 });
 * ```
 * @see Saxe et al. 2014, Glorot and Bengio 2010, He et al. 2015, Tallec and Ollivier 2018.
 */
export function initialize(
  spec: InitSpec,
  shape: readonly number[],
  options: InitializeOptions = {},
): Float32Array {
  // Kept whole: one case per initializer name (a table), all drawing from the same seeded stream with the same fans; the checks at the top run before the size check allocates.
  const r = resolveInit(spec, 'initialize', 'spec');
  if (!Array.isArray(shape)) {
    throw new InvalidArgumentError(
      `initialize: shape must be an array of positive integers, got ${describeValue(shape)}`,
    );
  }
  shape.forEach((d, i) => {
    checkInt('initialize', `shape[${i}]`, d);
  });
  const size = shape.reduce((a, b) => a * b, 1);
  checkAllocation('initialize', 'values', size, 4);
  checkOptions('initialize', options, true);
  if (options.seed !== undefined) checkNumber('initialize', 'options.seed', options.seed);
  if (options.fanIn !== undefined) checkInt('initialize', 'options.fanIn', options.fanIn);
  if (options.fanOut !== undefined) checkInt('initialize', 'options.fanOut', options.fanOut);
  const rng = new Rng(options.seed ?? 0);
  const [fi, fo] = fans(shape);
  const fanIn = options.fanIn ?? fi;
  const fanOut = options.fanOut ?? fo;
  const out = new Float32Array(size);
  const draw = (variance: number, dist: 'normal' | 'uniform', mean = 0): Float32Array => {
    const sd = Math.sqrt(variance);
    const a = Math.sqrt(3 * variance);
    for (let i = 0; i < size; i++)
      out[i] = mean + (dist === 'normal' ? sd * rng.normal() : a * (2 * rng.uniform() - 1));
    return out;
  };
  switch (r.name) {
    case 'zeros':
    case 'ones':
    case 'constant':
      return out.fill(r.value);
    case 'normal':
      return draw(r.variance, 'normal', r.mean);
    case 'uniform':
      return draw(r.variance, 'uniform', r.mean);
    case 'xavier':
      return draw((r.gain * r.gain * 2) / (fanIn + fanOut), r.distribution);
    case 'he':
      return draw((r.gain * r.gain * 2) / fanIn, r.distribution);
    case 'lecun':
      return draw((r.gain * r.gain) / fanIn, r.distribution);
    case 'chrono': {
      if (shape.length !== 1) {
        throw new InvalidArgumentError(
          `initialize: 'chrono' needs a 1-D bias shape, got [${shape.join(', ')}]`,
        );
      }
      for (let i = 0; i < size; i++) out[i] = Math.log(1 + rng.uniform() * (r.maxTimescale - 2));
      return out;
    }
    case 'identity': {
      if (shape.length === 2) {
        const [m, n] = shape as [number, number];
        for (let i = 0; i < Math.min(m, n); i++) out[i * n + i] = r.gain;
        return out;
      }
      if (shape.length === 4) {
        const [kh, kw, cin, cout] = shape as [number, number, number, number];
        const ch = Math.floor(kh / 2);
        const cw = Math.floor(kw / 2);
        for (let c = 0; c < Math.min(cin, cout); c++) out[((ch * kw + cw) * cin + c) * cout + c] = r.gain;
        return out;
      }
      throw new InvalidArgumentError(
        `initialize: 'identity' needs a 2-D or 4-D shape, got [${shape.join(', ')}]`,
      );
    }
    case 'orthogonal':
    case 'scaledOrthogonal':
    case 'lsuv': {
      if (shape.length < 2) {
        throw new InvalidArgumentError(
          `initialize: '${r.name}' needs a shape of rank ≥ 2, got [${shape.join(', ')}]`,
        );
      }
      const cols = shape[shape.length - 1] as number;
      const rows = size / cols;
      const q = haarOrthogonal(rows, cols, rng);
      for (let i = 0; i < size; i++) out[i] = r.gain * (q[i] as number);
      return out;
    }
  }
}

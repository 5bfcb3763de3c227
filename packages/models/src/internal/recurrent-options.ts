import { describeValue, InvalidArgumentError } from '@gflow/core';
import { type InitSpec, validateInit } from '../initializers.js';
import type { RecurrentRegularizers } from './recurrent-regularizers.js';
import { checkNumber } from './validate.js';

/** Validates `options.recurrentInit` (default `'orthogonal'`), before any tensor exists. */
export function resolveRecurrentInit(fn: string, o: { readonly recurrentInit?: InitSpec }): InitSpec {
  const recurrentInit = o.recurrentInit ?? 'orthogonal';
  validateInit(recurrentInit, fn, 'options.recurrentInit');
  return recurrentInit;
}

/** Validates an optional chrono horizon T_max > 2 (`options.chrono`). */
export function resolveChrono(fn: string, chrono: number | undefined): number | undefined {
  return chrono === undefined ? undefined : checkNumber(fn, 'options.chrono', chrono, 2.000001);
}

/** Throws unless `v` is a finite number in [0, 1) (`[0, 1]` when `upToOne`). */
function checkRate(fn: string, arg: string, v: unknown, upToOne: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1 || (!upToOne && v === 1)) {
    throw new InvalidArgumentError(
      `${fn}: ${arg} must be a finite number in [0, 1${upToOne ? ']' : ')'}, got ${describeValue(v)}`,
    );
  }
  return v;
}

/** The regularizer options every recurrent family shares. */
export interface RegularizerOptions {
  readonly recurrentDropout?: number;
  readonly zoneout?: number;
  readonly temporalDropout?: number;
  readonly maskSeed?: number;
  readonly seed?: number;
}

/**
 * Validates the recurrent regularizers (rates of dropout in [0, 1), of zoneout in [0, 1]; the mask
 * seed defaults to the model seed), before any tensor exists. `zoneoutCell` (LSTM) defaults to
 * `zoneout`.
 */
export function resolveRegularizers(
  fn: string,
  o: RegularizerOptions,
  zoneoutCell?: unknown,
): RecurrentRegularizers {
  const recurrentDropout = checkRate(fn, 'options.recurrentDropout', o.recurrentDropout ?? 0, false);
  const zoneout = checkRate(fn, 'options.zoneout', o.zoneout ?? 0, true);
  const cell = checkRate(fn, 'options.zoneoutCell', zoneoutCell ?? zoneout, true);
  const temporalDropout = checkRate(fn, 'options.temporalDropout', o.temporalDropout ?? 0, false);
  const maskSeed = checkNumber(fn, 'options.maskSeed', o.maskSeed ?? o.seed ?? 0);
  return { recurrentDropout, zoneout, zoneoutCell: cell, temporalDropout, maskSeed };
}

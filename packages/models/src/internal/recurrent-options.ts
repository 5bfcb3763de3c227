import { type InitSpec, validateInit } from '../initializers.js';
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

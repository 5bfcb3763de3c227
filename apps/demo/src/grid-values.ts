/**
 * Number lists for the sweep's grid flags: `0.5,1,2`, an inclusive range `1..3:0.5`, or both
 * (`0,1..2:0.25`). A range's values are `a + i·step` for i = 0, 1, … while they do not pass `b`
 * (with a tolerance of 1e-9·step, so `0..1:0.1` ends at 1 although 10 × 0.1 is not exactly 1 in
 * floating point), each rounded to 12 significant digits so that `0.30000000000000004` is written
 * and keyed as `0.3`.
 */
import { InvalidArgumentError } from 'commander';

/** Limits of {@link numberList}. */
export interface NumberListLimits {
  /** Smallest value allowed (inclusive). */
  readonly min: number;
  /** Largest value allowed (inclusive). */
  readonly max: number;
  /** Whether every value must be an integer. */
  readonly integer?: boolean;
  /** Most values the list may hold in all (default 10,000): a typo like `0..1:1e-9` is refused at once. */
  readonly maxCount?: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(flag: string, text: string, whole: string): number {
  if (!NUMBER.test(text)) throw new InvalidArgumentError(`${flag}: "${text}" in "${whole}" is not a number.`);
  return Number(text);
}

const round12 = (x: number): number => Number(x.toPrecision(12));

/**
 * Makes a commander argument parser for a list of numbers with ranges.
 *
 * @param flag - The flag's name, for messages (`--weight-variances`).
 * @param limits - Allowed interval, integer-ness and the largest count.
 * @returns A parser from the flag's text to the values in the order written, duplicates removed.
 * @throws InvalidArgumentError (commander's) naming the flag, the bad part and what it needs.
 */
export function numberList(flag: string, limits: NumberListLimits): (text: string) => number[] {
  const maxCount = limits.maxCount ?? 10_000;
  const what = `${limits.integer ? 'integers' : 'numbers'} from ${limits.min} to ${limits.max}`;
  const check = (v: number, part: string, whole: string): number => {
    if (!Number.isFinite(v) || v < limits.min || v > limits.max || (limits.integer && !Number.isInteger(v)))
      throw new InvalidArgumentError(`${flag}: ${part} in "${whole}" is out of range; it takes ${what}.`);
    return v;
  };
  return (whole: string): number[] => {
    const parts = whole
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (parts.length === 0)
      throw new InvalidArgumentError(
        `${flag} must be a comma-separated list of values or ranges a..b[:step], got "${whole}".`,
      );
    const out: number[] = [];
    const push = (v: number): void => {
      if (!out.includes(v)) out.push(v);
      if (out.length > maxCount)
        throw new InvalidArgumentError(
          `${flag}: "${whole}" gives more than ${maxCount} values; use a coarser step.`,
        );
    };
    for (const part of parts) {
      const m = /^([^.][^:]*?|\.\d[^:]*?)\.\.([^:]+)(?::(.+))?$/.exec(part);
      if (!m) {
        push(check(parseNumber(flag, part, whole), part, whole));
        continue;
      }
      const a = check(parseNumber(flag, m[1] as string, whole), m[1] as string, whole);
      const b = check(parseNumber(flag, m[2] as string, whole), m[2] as string, whole);
      const step = m[3] === undefined ? 1 : parseNumber(flag, m[3], whole);
      if (!(step > 0) || !Number.isFinite(step))
        throw new InvalidArgumentError(
          `${flag}: the step of "${part}" must be a positive number, got ${m[3]}.`,
        );
      if (b < a)
        throw new InvalidArgumentError(`${flag}: the range "${part}" must be ascending (a..b with a ≤ b).`);
      const n = Math.floor((b - a) / step + 1e-9);
      if (n + 1 > maxCount)
        throw new InvalidArgumentError(
          `${flag}: "${part}" gives ${n + 1} values, more than ${maxCount}; use a coarser step.`,
        );
      for (let i = 0; i <= n; i++) push(check(round12(a + i * step), part, whole));
    }
    return out;
  };
}

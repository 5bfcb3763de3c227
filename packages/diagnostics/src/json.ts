import { describeValue, InvalidArgumentError } from '@gflow/core';
import type { FlowReport } from './measure-gradient-flow.js';

/**
 * A `JSON.stringify` replacer that writes the non-finite numbers JSON has no syntax for as the
 * strings `"NaN"`, `"Infinity"` and `"-Infinity"`, so that they stay distinct from `null` (which a
 * gflow record uses for "no gradient reached"). Every finite float64 number, 1e-300 or 1e+300,
 * is written as a number. {@link nonFiniteReviver} reads them back.
 *
 * @param _key - The property name (unused).
 * @param value - The value being written.
 * @returns `value`, or its string form when it is a non-finite number.
 * @example
 * ```ts
 * JSON.stringify({ a: Number.NaN, b: 1e-40, c: null }, nonFiniteReplacer);
 * // '{"a":"NaN","b":1e-40,"c":null}'
 * ```
 */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * A `JSON.parse` reviver that turns the strings `"NaN"`, `"Infinity"` and `"-Infinity"` written by
 * {@link nonFiniteReplacer} back into numbers.
 *
 * @param _key - The property name (unused).
 * @param value - The parsed value.
 * @returns `value`, or the non-finite number a string names.
 * @example
 * ```ts
 * JSON.parse('{"a":"NaN","b":"Infinity"}', nonFiniteReviver); // { a: NaN, b: Infinity }
 * ```
 */
export function nonFiniteReviver(_key: string, value: unknown): unknown {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value;
}

/**
 * A {@link FlowReport} as JSON text in which its three states survive: a norm is a number (1e-40
 * and 1e+30 as they are), `null` means no gradient reached, and a non-finite norm is the string
 * `"NaN"` or `"Infinity"` (plain `JSON.stringify` would write `null` for both, the same `null` as
 * "no gradient"). Read it back with {@link parseFlowReport}.
 *
 * @param report - A report from `measureGradientFlow`.
 * @param space - Indentation, as for `JSON.stringify`.
 * @returns The JSON text.
 * @example
 * ```ts
 * writeFileSync('flow.json', flowReportToJSON(measureGradientFlow(model, batch), 2));
 * ```
 */
export function flowReportToJSON(report: FlowReport, space?: number): string {
  return JSON.stringify(report, nonFiniteReplacer, space);
}

/**
 * Parses JSON text written by {@link flowReportToJSON} (non-finite numbers back from their string
 * form). The layout is not validated beyond JSON itself: compare `schemaVersion` with
 * `flowReportSchemaVersion`.
 *
 * @param text - The JSON text.
 * @returns The report.
 * @throws InvalidArgumentError (from `@gflow/core`) when `text` is not a string or not JSON (the
 *   parser's message is kept).
 * @example
 * ```ts
 * const r = parseFlowReport(readFileSync('flow.json', 'utf8'));
 * if (r.schemaVersion !== flowReportSchemaVersion) throw new Error('written by another gflow');
 * ```
 */
export function parseFlowReport(text: string): FlowReport {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(
      `parseFlowReport: text must be a string of JSON, got ${describeValue(text)}`,
    );
  }
  try {
    return JSON.parse(text, nonFiniteReviver) as FlowReport;
  } catch (e) {
    throw new InvalidArgumentError(`parseFlowReport: text is not JSON: ${(e as Error).message}`);
  }
}

import { checkBoolean } from '@gflow/core/internal';
import type * as tf from '@tensorflow/tfjs';
import type { ParamParts, Slot } from './slots.js';
import type { ScaledGradient } from './stats/gradient-scale.js';

/**
 * The contract of a per-parameter monitor statistic: one file in `stats/` exports a
 * {@link ParameterStat} (its option, how that option is checked, what it adds to the step's one
 * batched read through the parameter's {@link ParamParts}, and the `ParameterRecord` fields it
 * decodes), and one line in `PARAMETER_STATS` (`parameter-stats.ts`) registers it. The option
 * types of `GradientMonitorOptions` and the fields of `ParameterRecord` are derived from that list
 * ({@link OptionsOf}, {@link FieldsOf}), each keeping the TSDoc of the statistic's own interfaces.
 * Not exported from the package, and not marked internal: the published `.d.ts` derives the public
 * option and record types from these.
 *
 * @module
 */

/** What a statistic's plan sees of one parameter at one step (inside the planning `tidy`). */
export interface StatInput {
  /** The parameter's name. */
  readonly name: string;
  /** Its gradient, float32, with at least one element. */
  readonly g: tf.Tensor;
  /**
   * g divided by its own scale m = max(max|g|, 2⁻¹²⁶): made on the first call, shared by every
   * statistic of the step that asks (its pair [m, Σ(g/m)²] is then the parameter's gradient norm).
   */
  scaled(): ScaledGradient;
  /** The parameter's part of the batched read: `parts.add(...)` returns where the values sit. */
  readonly parts: ParamParts;
}

/**
 * One per-parameter statistic of `GradientMonitor`.
 *
 * @typeParam O - Its documented option interface: one optional key of `GradientMonitorOptions`.
 * @typeParam F - Its documented fields of `ParameterRecord` (optional: absent when it is off).
 * @typeParam S - Its resolved setting (`false` turns it off).
 * @typeParam V - What its slot reads back.
 */
export interface ParameterStat<O extends object, F extends object, S = true, V = number> {
  /** The option's key in `GradientMonitorOptions` (the one key of `O`). */
  readonly option: keyof O & string;
  /**
   * The option as given (`undefined` when left out), checked and resolved to its setting; `false`
   * turns the statistic off. Throws `InvalidArgumentError` naming `fn`, `arg` (`options.<key>`),
   * what it got and what it needs.
   */
  resolve(fn: string, arg: string, value: O[keyof O] | undefined): S | false;
  /** Adds its tensors for one parameter; `undefined` when it does not apply to this parameter. */
  plan(input: StatInput, setting: S): Slot<V> | undefined;
  /** Its record fields from the value read back (float64 on the host). */
  decode(value: V): F;
}

/** A statistic of any type, as the planner iterates them. */
// biome-ignore lint/suspicious/noExplicitAny: the list holds statistics of different types; each is typed where it is made.
export type AnyParameterStat = ParameterStat<any, any, any, any>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;

/** The option interfaces of a list of statistics, intersected (`{}` for an empty list). */
export type OptionsOf<L extends readonly AnyParameterStat[]> = UnionToIntersection<
  L[number] extends infer T ? (T extends ParameterStat<infer O, object, unknown, unknown> ? O : never) : never
>;

/** The record-field interfaces of a list of statistics, intersected. */
export type FieldsOf<L extends readonly AnyParameterStat[]> = UnionToIntersection<
  L[number] extends infer T ? (T extends ParameterStat<object, infer F, unknown, unknown> ? F : never) : never
>;

/** The `resolve` of an on/off statistic: a `boolean` option, `byDefault` when left out. */
export function booleanOption(byDefault: boolean): (fn: string, arg: string, value: unknown) => boolean {
  return (fn, arg, value) => (value === undefined ? byDefault : checkBoolean(fn, arg, value));
}

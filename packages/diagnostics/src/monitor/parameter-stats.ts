import type { FieldsOf, OptionsOf } from './parameter-stat.js';
import { deadUnitsStat } from './stats/dead-units.js';
import { entropyStat } from './stats/entropy.js';
import { maxAbsStat } from './stats/max-abs.js';

/**
 * The per-parameter statistics of `GradientMonitor`, in the order their fields are written into a
 * `ParameterRecord` (after the norms and the moments). A new statistic is one file in `stats/`
 * exporting a `ParameterStat` and one line here: its option joins `GradientMonitorOptions` and its
 * fields join `ParameterRecord` through the types below. (Not exported from the package, and not
 * marked internal: the published `.d.ts` derives the public types from it.)
 */
export const PARAMETER_STATS = [deadUnitsStat, entropyStat, maxAbsStat] as const;

/** The options of every registered statistic, as `GradientMonitorOptions` has them. */
export type ParameterStatOptions = OptionsOf<typeof PARAMETER_STATS>;

/** The record fields of every registered statistic, as `ParameterRecord` has them. */
export type ParameterStatFields = FieldsOf<typeof PARAMETER_STATS>;

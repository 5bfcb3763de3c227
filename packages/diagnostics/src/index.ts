/**
 * `@gflow/diagnostics`: see the gradients flow, and keep training alive.
 *
 * @packageDocumentation
 */

export type { ActivationStats, GradientTapeOptions, TapeResult, TapMode, TapStat } from './gradient-tape.js';
export { gradientTape } from './gradient-tape.js';

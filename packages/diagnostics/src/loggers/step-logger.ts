import type { StepRecord } from '../step-record.js';

/**
 * Receives every {@link StepRecord} a monitor makes: JSON lines, TensorBoard event files, tfjs-vis
 * charts, or anything else.
 */
export interface StepLogger {
  /** Called once per record, synchronously, right after the step. */
  log(record: StepRecord): void;
  /** Flushes and releases what the logger holds (files, handles). */
  close?(): void;
}

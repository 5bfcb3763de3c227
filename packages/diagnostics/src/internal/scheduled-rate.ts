import { describeValue, InvalidArgumentError } from '@gflow/core';
import type * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../schedules/schedule.js';
import { getLearningRate, setLearningRate } from './optimizer-state.js';
import { evaluateSchedule } from './schedule-checks.js';

/** The info key under which a scheduled learning rate is recorded. */
export const SCHEDULE_INFO_KEY = 'schedule.learningRate';

/** Throws unless the optimizer has a numeric learning rate a schedule can set. */
export function checkSchedulable(fn: string, optimizer: tf.Optimizer): void {
  if (getLearningRate(optimizer) === undefined) {
    throw new InvalidArgumentError(
      `${fn}: a schedule needs an optimizer with a numeric learningRate (SGD, momentum, Adam, RMSProp, Adagrad, Adadelta, Adamax), got ${describeValue(optimizer)}`,
    );
  }
}

/**
 * Sets an optimizer's learning rate from a schedule before each step: η = f · schedule(t).
 *
 * f starts at 1 and follows changes made to the rate by someone else between steps (a
 * TrainingGuard's 'lower-lr' halves it): when the rate found is not the one set last, f is
 * multiplied by their ratio, so that the schedule goes on from the lowered level.
 */
export class ScheduledRate {
  private factor = 1;
  private lastSet: number | undefined;

  constructor(
    private readonly fn: string,
    readonly schedule: Schedule,
  ) {}

  /** Sets the rate for `step` and returns it. */
  apply(optimizer: tf.Optimizer, step: number): number {
    const base = evaluateSchedule(this.fn, this.schedule, step);
    const now = getLearningRate(optimizer);
    if (this.lastSet !== undefined && this.lastSet > 0 && now !== undefined && now !== this.lastSet) {
      this.factor *= now / this.lastSet;
    }
    const rate = base * this.factor;
    if (!setLearningRate(optimizer, rate)) checkSchedulable(this.fn, optimizer);
    this.lastSet = rate;
    return rate;
  }
}

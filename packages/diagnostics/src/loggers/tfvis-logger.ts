import { describeValue, InvalidArgumentError } from '@gflow/core';
import { checkInteger } from '../internal/validate.js';
import type { StepRecord } from '../step-record.js';
import type { StepLogger } from './step-logger.js';

/** The part of tfjs-vis's visor the logger uses. */
export interface TfvisVisor {
  /**
   * Makes (or finds) a drawing surface.
   *
   * @param options - The surface's name and tab.
   * @returns The surface.
   */
  surface(options: { name: string; tab?: string }): unknown;
}

/** The part of the `@tensorflow/tfjs-vis` module the logger uses (pass the module itself). */
export interface TfvisLike {
  /** tfjs-vis's renderers. */
  readonly render: {
    /** Draws a line chart of named series into a drawing surface. */
    linechart(
      container: unknown,
      data: { values: { x: number; y: number }[][]; series: string[] },
      opts?: Record<string, unknown>,
    ): Promise<void> | void;
  };
  /** tfjs-vis's visor (optional: used to make a surface when none is given). */
  readonly visor?: () => TfvisVisor;
}

/** Options of {@link tfvisLogger}. */
export interface TfvisLoggerOptions {
  /** Where to draw (an HTMLElement or a tfjs-vis surface; default: a visor surface "Gradients"). */
  readonly container?: unknown;
  /** Redraw every this many records (default 10). */
  readonly every?: number;
  /** Points kept per series (default 500). */
  readonly maxPoints?: number;
}

/**
 * Draws the loss and the global gradient norm (log scale) live in the browser with tfjs-vis.
 * The tfjs-vis module is passed in, so gflow has no dependency on it.
 *
 * @param tfvis - The `@tensorflow/tfjs-vis` module (`import * as tfvis from '@tensorflow/tfjs-vis'`).
 * @param options - Where to draw, how often, how many points.
 * @returns A logger to give to a `GradientMonitor`; `close()` draws the records since the last
 *   redraw.
 * @throws InvalidArgumentError (from `@gflow/core`) when `tfvis` lacks `render.linechart`.
 * @example
 * ```ts
 * import * as tfvis from '@tensorflow/tfjs-vis';
 * monitor.addLogger(tfvisLogger(tfvis, { every: 5 }));
 * ```
 * @see https://github.com/tensorflow/tfjs/tree/master/tfjs-vis
 */
export function tfvisLogger(tfvis: TfvisLike, options: TfvisLoggerOptions = {}): StepLogger {
  if (tfvis == null || typeof tfvis.render?.linechart !== 'function') {
    throw new InvalidArgumentError(
      `tfvisLogger: tfvis must be the @tensorflow/tfjs-vis module (with render.linechart), got ${describeValue(tfvis)}`,
    );
  }
  const every = checkInteger('tfvisLogger', 'options.every', options.every ?? 10, 1);
  const maxPoints = checkInteger('tfvisLogger', 'options.maxPoints', options.maxPoints ?? 500, 2);
  let container = options.container;
  const loss: { x: number; y: number }[] = [];
  const norm: { x: number; y: number }[] = [];
  let count = 0;
  const push = (arr: { x: number; y: number }[], x: number, y: number | null) => {
    if (y === null || !Number.isFinite(y)) return;
    arr.push({ x, y });
    if (arr.length > maxPoints) arr.shift();
  };
  const draw = () => {
    container ??= tfvis.visor?.().surface({ name: 'Gradients', tab: 'gflow' });
    void tfvis.render.linechart(
      container,
      { values: [loss.slice(), norm.slice()], series: ['loss', 'log10 global grad norm'] },
      { xLabel: 'step', yLabel: 'value' },
    );
  };
  return {
    log(r: StepRecord) {
      if (r.source === 'watchFlow') return; // held-batch numbers would mix with the training steps'
      push(loss, r.step, r.loss);
      push(norm, r.step, r.globalNorm > 0 ? Math.log10(r.globalNorm) : null);
      if (++count % every === 0) draw();
    },
    // Draws the records since the last redraw, so the chart ends at the last step.
    close() {
      if (count % every !== 0) draw();
    },
  };
}

import { checkStep } from '../internal/schedule-checks.js';
import type { Schedule } from './schedule.js';
import { readWarmup, type WarmupOptions } from './warmup-cosine.js';

/**
 * Linear warmup, then linear decay (the schedule of BERT's pre-training).
 *
 * With W warmup steps and decay ending at step T:
 * η_t = η_0 + (η_peak − η_0)·t/W for t < W;
 * η_t = η_peak + (η_end − η_peak)·(t − W)/(T − W) for W ≤ t < T;
 * η_t = η_end for t ≥ T.
 *
 * @param options - `peak`, `warmupSteps`, `totalSteps`, `init` (0), `end` (0).
 * @returns A {@link Schedule}.
 * @throws InvalidArgumentError (from `@gflow/core`) when a rate is not a finite number ≥ 0, a step
 *   count is not an integer, or totalSteps ≤ warmupSteps; from the schedule, when the step is not
 *   an integer ≥ 0.
 * @example
 * ```ts
 * const s = warmupLinear({ peak: 1e-3, warmupSteps: 10, totalSteps: 110 });
 * s(5); // 5e-4
 * s(10); // 1e-3
 * s(60); // 5e-4
 * s(110); // 0
 * ```
 * @see Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour" (warmup);
 *   Devlin et al. 2019, "BERT" (warmup then linear decay).
 */
export function warmupLinear(options: WarmupOptions): Schedule {
  const fn = 'warmupLinear';
  const { peak, warmup, total, init, end } = readWarmup(fn, options);
  return (step) => {
    const t = checkStep(fn, step);
    if (t < warmup) return init + ((peak - init) * t) / warmup;
    if (t >= total) return end;
    return peak + ((end - peak) * (t - warmup)) / (total - warmup);
  };
}

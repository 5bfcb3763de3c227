/**
 * Adaptive Gauss–Kronrod (G7/K15) integration, used to check the fixed Gauss rules.
 * The Kronrod constants are QUADPACK's (Piessens et al. 1983), independent of our Golub–Welsch code.
 *
 * @internal
 * @module
 */

const XGK = [
  0.9914553711208126, 0.9491079123427585, 0.8648644233597691, 0.7415311855993945, 0.5860872354676911,
  0.4058451513773972, 0.20778495500789848, 0,
];
const WGK = [
  0.022935322010529224, 0.06309209262997856, 0.10479001032225019, 0.14065325971552592, 0.1690047266392679,
  0.19035057806478542, 0.20443294007529889, 0.20948214108472782,
];
const WG = [0.1294849661688697, 0.27970539148927664, 0.3818300505051189, 0.4179591836734694];

function gk15(f: (x: number) => number, a: number, b: number): { value: number; error: number } {
  const c = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  const fc = f(c);
  let k = WGK[7]! * fc;
  let g = WG[3]! * fc;
  for (let j = 0; j < 7; j++) {
    const x = h * XGK[j]!;
    const s = f(c - x) + f(c + x);
    k += WGK[j]! * s;
    if (j % 2 === 1) g += WG[(j - 1) / 2]! * s;
  }
  return { value: k * h, error: Math.abs((k - g) * h) };
}

/** Options of {@link integrate}. */
export interface IntegrateOptions {
  /** Absolute tolerance (default 1e-14). */
  readonly absTol?: number;
  /** Relative tolerance (default 1e-13). */
  readonly relTol?: number;
  /** Maximum number of subintervals (default 20,000). */
  readonly maxIntervals?: number;
  /** Interior points where the integrand is not smooth. */
  readonly breakpoints?: readonly number[];
}

/**
 * ∫_a^b f(x) dx by globally adaptive G7/K15. Infinite limits are mapped by x = t/(1 − t²).
 * Returns the value and the summed error estimate.
 */
export function integrate(
  f: (x: number) => number,
  a: number,
  b: number,
  options: IntegrateOptions = {},
): { value: number; error: number } {
  const absTol = options.absTol ?? 1e-14;
  const relTol = options.relTol ?? 1e-13;
  const maxIntervals = options.maxIntervals ?? 20_000;
  let g = f;
  let lo = a;
  let hi = b;
  let bps = [...(options.breakpoints ?? [])];
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    // x = t / (1 − t²), t ∈ (−1, 1); dx = (1 + t²)/(1 − t²)² dt.
    const toT = (x: number): number => (x === 0 ? 0 : (-1 + Math.sqrt(1 + 4 * x * x)) / (2 * x));
    g = (t: number) => {
      const d = 1 - t * t;
      if (d <= 0) return 0;
      const v = f(t / d) * ((1 + t * t) / (d * d));
      return Number.isFinite(v) ? v : 0;
    };
    lo = Number.isFinite(a) ? toT(a) : -1;
    hi = Number.isFinite(b) ? toT(b) : 1;
    bps = bps.map(toT);
  }
  const points = [lo, ...bps.filter((p) => p > lo && p < hi).sort((x, y) => x - y), hi];
  const intervals: { a: number; b: number; value: number; error: number }[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const r = gk15(g, points[i]!, points[i + 1]!);
    intervals.push({ a: points[i]!, b: points[i + 1]!, ...r });
  }
  for (;;) {
    let total = 0;
    let err = 0;
    let worst = 0;
    for (let i = 0; i < intervals.length; i++) {
      total += intervals[i]!.value;
      err += intervals[i]!.error;
      if (intervals[i]!.error > intervals[worst]!.error) worst = i;
    }
    if (err <= Math.max(absTol, relTol * Math.abs(total)) || intervals.length >= maxIntervals) {
      return { value: total, error: err };
    }
    const w = intervals[worst]!;
    const m = 0.5 * (w.a + w.b);
    if (!(m > w.a && m < w.b)) return { value: total, error: err };
    intervals.splice(worst, 1, { a: w.a, b: m, ...gk15(g, w.a, m) }, { a: m, b: w.b, ...gk15(g, m, w.b) });
  }
}

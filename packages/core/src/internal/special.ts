/**
 * Special functions in float64: erf, erfc and the standard normal density and distribution.
 *
 * erf uses its everywhere-positive series `erf x = (2/√π) e^{−x²} Σ 2ⁿx^{2n+1}/(2n+1)!!` for
 * |x| < 3 (no cancellation), and erfc its continued fraction (Abramowitz & Stegun 7.1.14)
 * for |x| ≥ 3, evaluated backward from a fixed depth.
 *
 * @internal
 * @module
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;
const INV_SQRT_2PI = 0.3989422804014327;

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

function erfcFraction(x: number): number {
  // erfc x = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), x ≥ 2.
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return (INV_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2) return x < 0 ? -erfSeries(a) : erfSeries(a);
  const v = 1 - erfcFraction(a);
  return x < 0 ? -v : v;
}

/** The complementary error function 1 − erf x, accurate in the upper tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= 2) return erfcFraction(x);
  if (x > -2) return 1 - erf(x);
  return 2 - erfcFraction(-x);
}

/** Standard normal density φ(x) = e^{−x²/2}/√(2π). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal distribution function Φ(x) = ½ erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

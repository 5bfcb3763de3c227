import { describe, expect, it } from 'vitest';
import { driveSync, powerResidual } from './eigensolvers.js';

/** H = scale · diag(d) as a product on flat vectors. */
function diagonal(d: Float64Array, scale: number) {
  return (v: Float64Array): Float64Array => v.map((x, i) => scale * (d[i] as number) * x);
}

describe('powerResidual (power iteration judged by the residual of an explicit product)', () => {
  // d = 4, 2, then 1s: the top eigenvalue 4, the ratio 1/2 per step for the rest.
  const dim = 300;
  const d = Float64Array.from({ length: dim }, (_, i) => (i === 0 ? 4 : i === 1 ? 2 : 1));

  it('finds 4·scale with the same relative residual at every magnitude (1, 1e-200, 1e200)', () => {
    // Everything is linear in the scale, so the value scales exactly and the relative residual
    // ‖Hv − θv‖ / |θ| does not depend on it; at 1e±200 plain float64 squares would underflow to 0
    // or overflow to ∞, and the residual must not.
    const runs = [1, 1e-200, 1e200].map((scale) => ({
      scale,
      pair: driveSync(powerResidual(dim, [], 1e-300, 12, 5), diagonal(d, scale)),
    }));
    const base = runs[0]!.pair;
    expect(base.iterations).toBe(12);
    expect(base.converged).toBe(false);
    // By hand: after 12 products the error along the other directions has shrunk by about 2⁻¹²
    // per step's ratio, so θ is within 1e-3 of 4 and the residual is between 1e-6 and 1.
    expect(Math.abs(base.value - 4)).toBeLessThan(1e-3);
    expect(base.residual).toBeGreaterThan(1e-6);
    expect(base.residual).toBeLessThan(1);
    for (const { scale, pair } of runs) {
      expect(Number.isFinite(pair.residual)).toBe(true);
      expect(pair.value / scale).toBeCloseTo(base.value, 12);
      expect(Math.abs(pair.residual - base.residual) / base.residual).toBeLessThan(1e-12);
    }
  });

  it('stops as converged once the residual is at most tol', () => {
    const pair = driveSync(powerResidual(dim, [], 1e-6, 500, 5), diagonal(d, 1e-200));
    expect(pair.converged).toBe(true);
    expect(pair.residual).toBeLessThanOrEqual(1e-6);
    expect(pair.value / 1e-200).toBeCloseTo(4, 10);
  });
});

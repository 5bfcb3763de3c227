/** The smallest normal float32, 2⁻¹²⁶: the floor of a scaled pair's scale (0/0 never happens). */
export const SCALE_FLOOR = 2 ** -126;

/**
 * The scaled pair [m, s] of `data` (float32 values), computed in float64 on the host: m =
 * max(max|xᵢ|, 2⁻¹²⁶) and s = Σ xᵢ² / m / m, the sum taken in index order, so that ‖x‖² = m²·s
 * neither underflows nor overflows (`@gflow/diagnostics`' `internal/norms.ts` explains the pairs).
 * NaN, NaN when an element is NaN; ∞, ∞ when one is infinite. Shared by the diagnostics' norms and
 * the fused RNN kernels that hand the pairs of each step's gradient (`@gflow/backend`), which must
 * agree bit for bit.
 */
export function hostScaledPair(data: ArrayLike<number>): [number, number] {
  let m = 0;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = Math.abs(v);
    m = a > m || Number.isNaN(a) ? a : m;
    sum += v * v;
  }
  // Float32 values squared and summed in float64 neither underflow nor overflow: the sum is exact
  // to float64 rounding. The pair carries it as m²·(sum/m²), with m a float32 value.
  if (Number.isNaN(m) || Number.isNaN(sum)) return [Number.NaN, Number.NaN];
  if (m === Number.POSITIVE_INFINITY) return [m, Number.POSITIVE_INFINITY];
  const scale = Math.max(m, SCALE_FLOOR);
  return [scale, sum / scale / scale];
}

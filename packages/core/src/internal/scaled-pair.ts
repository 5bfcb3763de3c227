/** The smallest normal float32, 2⁻¹²⁶: the floor of a scaled pair's scale (0/0 never happens). */
export const SCALE_FLOOR = 2 ** -126;

/**
 * The scaled pair [m, s] of `data` (float32 values), computed in float64 on the host: m =
 * max(max|xᵢ|, 2⁻¹²⁶) and s = Σ xᵢ² / m / m, so that ‖x‖² = m²·s neither underflows nor overflows
 * (`@gflow/diagnostics`' `internal/norms.ts` explains the pairs). The sum is two partial sums in
 * index order, of the even-indexed and of the odd-indexed squares, added at the end (two chains
 * of additions run at once: half the time of one), and m = √(max xᵢ²) exactly (a float32 value's
 * square is exact in float64), with no per-element |x| or NaN test. NaN, NaN when an element is
 * NaN; ∞, ∞ when one is infinite. Shared by the diagnostics' norms and the fused RNN kernels that
 * hand the pairs of each step's gradient (`@gflow/backend`, whose wasm loop sums in the same
 * order), which must agree bit for bit.
 */
export function hostScaledPair(data: ArrayLike<number>): [number, number] {
  const n = data.length;
  let m0 = 0;
  let m1 = 0;
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a = data[i]!;
    const b = data[i + 1]!;
    const aa = a * a;
    const bb = b * b;
    s0 += aa;
    s1 += bb;
    m0 = Math.max(m0, aa);
    m1 = Math.max(m1, bb);
  }
  if (i < n) {
    const a = data[i]!;
    const aa = a * a;
    s0 += aa;
    m0 = Math.max(m0, aa);
  }
  const sum = s0 + s1;
  const m = Math.sqrt(Math.max(m0, m1));
  // Float32 values squared and summed in float64 neither underflow nor overflow: the sum is exact
  // to float64 rounding. The pair carries it as m²·(sum/m²), with m a float32 value.
  if (Number.isNaN(sum)) return [Number.NaN, Number.NaN];
  if (m === Number.POSITIVE_INFINITY) return [m, Number.POSITIVE_INFINITY];
  const scale = Math.max(m, SCALE_FLOOR);
  return [scale, sum / scale / scale];
}

/**
 * The {@link hostScaledPair} of each of the `steps` equal consecutive slices of `all` (a
 * step-major stack [steps, …]), interleaved as [m₀, s₀, m₁, s₁, …] in float32: what a tap records
 * for each step of a fused recurrent op.
 */
export function stepScaledPairs(all: Float32Array, steps: number): Float32Array {
  const per = all.length / steps;
  const out = new Float32Array(2 * steps);
  for (let t = 0; t < steps; t++) {
    const [m, s] = hostScaledPair(all.subarray(t * per, (t + 1) * per));
    out[2 * t] = m;
    out[2 * t + 1] = s;
  }
  return out;
}

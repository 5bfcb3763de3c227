/** Small float64 vector helpers. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * ‖a‖ in float64 at any magnitude: one pass of plain squares while their sum lies well inside
 * float64's range, else again with each entry divided by the largest |entry| first (plain squares
 * of entries near 1e±160 underflow to 0 or overflow to ∞).
 */
export function norm(a: Float64Array): number {
  const s = dot(a, a);
  if (s > 1e-250 && s < 1e250) return Math.sqrt(s);
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i] as number));
  if (big === 0 || !Number.isFinite(big)) return big;
  let t = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) / big;
    t += x * x;
  }
  return big * Math.sqrt(t);
}

/** Projects the span of orthonormal `basis` out of `v`, in place (twice, for stability). */
export function projectOut(v: Float64Array, basis: readonly Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) {
      const c = dot(v, q);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) - c * (q[i] as number);
    }
  }
}

/** Small float64 vector helpers. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/** ‖A y − θ y‖ for a unit y, given A y. */
export function residual(ay: Float64Array, theta: number, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const d = (ay[i] as number) - theta * (y[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
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

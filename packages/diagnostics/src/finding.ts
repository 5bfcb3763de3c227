/** What kind of trouble a {@link Finding} reports. */
export type FindingKind =
  | 'vanishing'
  | 'exploding'
  | 'unstable'
  | 'non-finite'
  | 'dead-units'
  | 'disconnected'
  | 'update-ratio'
  | 'noisy-gradient';

/** How bad a finding is: `error` stops training from working, `warning` slows or skews it. */
export type Severity = 'info' | 'warning' | 'error';

/** One diagnosis: what is wrong, the numbers that show it, and what to do. */
export interface Finding {
  /** The kind of trouble. */
  readonly kind: FindingKind;
  /** How bad it is. */
  readonly severity: Severity;
  /** One sentence with the numbers, e.g. "vanishing: the first block's gradient is 3.2e-9 of the last block's (threshold 1e-4)". */
  readonly message: string;
  /** The numbers behind the message (norms, ratios, thresholds, step counts). */
  readonly evidence: Readonly<Record<string, number>>;
  /** What usually fixes it. */
  readonly remedy: string;
  /** The parameter or tap concerned, if one; for a finding about several, the worst of them. */
  readonly subject?: string;
  /**
   * Every parameter or tap a grouped finding is about, worst first (the message names the first
   * few). Per-parameter trouble (dead units, disconnected parameters, update ratios) is one finding
   * per kind listing its cases, not one line per parameter.
   */
  readonly subjects?: readonly string[];
  /** The first step where it was seen, for findings over a history. */
  readonly step?: number;
}

/** Formats a number for a message: 3 significant digits, exponent form when far from 1. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(1).replace('.0e', 'e');
}

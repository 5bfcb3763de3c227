/** What every report section shares: its definition, and the context it runs in. */
import type { Plot, Row } from '../plot.js';
import type { Progress } from '../progress.js';
import type { Findings } from '../report.js';

/** What a section's run gets. */
export interface SectionContext {
  /** Reduced sizes (CI). */
  readonly quick: boolean;
  /** Progress bar: each section ticks exactly its `steps(quick)` steps. */
  readonly progress: Progress;
}

/** One claim of a section checked against theory: a row of the report's summary table. */
export interface Verdict {
  /** What the experiment tests, in one sentence. */
  readonly claim: string;
  /** Theory's prediction (a number, or a curve named in words). */
  readonly predicted: string;
  /** What this run measured. */
  readonly measured: string;
  /** Whether the measurement agrees with the prediction. */
  readonly verdict: 'agrees' | 'differs';
  /** When it differs: why, in one sentence, with the paper; null when it agrees. */
  readonly explanation: string | null;
}

/** A problem the section showed, and what fixes it: a row of the report's remedies table. */
export interface Remedy {
  /** The symptom, e.g. `gradients vanish with depth`. */
  readonly problem: string;
  /** Where this run showed it, with the number. */
  readonly seen: string;
  /** What fixes it. */
  readonly remedy: string;
  /** The paper. */
  readonly see: string;
}

/** What a section's run returns. */
export interface SectionResult {
  /** What the plots show and the finding measured, with numbers from this run. */
  readonly summary: readonly string[];
  /** What the numbers mean, built from this run's numbers; deviations from theory explained. */
  readonly conclusion: readonly string[];
  /** The section's claims checked against theory (rows of the report's summary table). */
  readonly verdicts: readonly Verdict[];
  /** Problems shown and their remedies. */
  readonly remedies?: readonly Remedy[];
  /** The numbers quoted. */
  readonly findings: Findings;
  /** Plots. */
  readonly plots: readonly Plot[];
  /** Sizes and seeds used. */
  readonly settings: Record<string, unknown>;
  /** Tables shown under the plots and kept in results.json (e.g. guard events), by caption. */
  readonly tables?: Readonly<Record<string, readonly Row[]>>;
}

/** A report section. */
export interface SectionDef {
  /** Id, e.g. `a-depth`. */
  readonly id: string;
  /** Heading. */
  readonly title: string;
  /** Progress steps. */
  steps(quick: boolean): number;
  /** Runs the measurement. */
  readonly run: (ctx: SectionContext) => Promise<SectionResult>;
}

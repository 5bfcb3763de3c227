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

/** What a section's run returns. */
export interface SectionResult {
  /** What the plots show and the finding measured, with numbers from this run. */
  readonly summary: readonly string[];
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

/** One benchmark workload of bench/peer/WORKLOADS.md. */
export interface Workload {
  /** The name used by WORKLOADS.md, torch_peer.py and compare.mjs. */
  readonly name: string;
  /** One line on the work, as in WORKLOADS.md. */
  readonly what: string;
  /** Timed runs after the warm-up (the peer's count). */
  readonly repeats: number;
  /**
   * `false` for a workload that uses no tensor engine (pure float64 JavaScript from @gflow/core):
   * it runs before the engine starts, as it does in a program that never starts one.
   */
  readonly engine?: false;
  /** Builds the model and its data once (not timed). */
  prepare(): Promise<Prepared> | Prepared;
}

/** A workload ready to run. */
export interface Prepared {
  /** The timed work; resolves to plain numbers read back to the host. */
  run(): Promise<Summary> | Summary;
  /** Frees what `prepare` made. */
  dispose(): void;
}

/** A few plain numbers from one run, kept in the JSON as a sanity check. */
export type Summary = Record<string, number | string | readonly number[]>;

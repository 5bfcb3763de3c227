/** What `enableWasmThreads` changed, and how to undo it (kept apart so that browser code can name it). */
export interface WasmThreadsSetup {
  /** The number of threads asked for. */
  readonly requested: number;
  /** Puts `worker_threads.Worker` and `os.cpus` back; call once `tf.setBackend('wasm')` has resolved. */
  restore(): void;
  /** The number of threads XNNPACK's pool reports once the wasm backend is initialized. */
  actualThreads(): number;
}

/** Size of the pthread pool that the tfjs 4.22 wasm glue creates up front (and backend.cc's cap). */
export const maxWasmThreads = 8;

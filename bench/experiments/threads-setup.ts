// vitest setup file: every test file's initBackend() starts the threaded wasm build (2 threads).
// Used by vitest.threads.config.ts to run another package's own tests on the threaded engine.
import { afterAll } from 'vitest';
import { enableWasmThreads } from '../src/wasm-threads.js';

const setup = await enableWasmThreads(Number(process.env.GFLOW_WASM_THREADS ?? 2));
afterAll(() => {
  let threads = -1;
  try {
    threads = setup.actualThreads();
  } catch {
    // the file never started the wasm backend
  }
  process.stderr.write(`[threads-setup] wasm threads in this file: ${threads}\n`);
});

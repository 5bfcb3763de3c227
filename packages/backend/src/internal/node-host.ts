import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { nodeImporter } from './engine-loaders.js';
import { type Host, NODE_ORDER, setHost } from './host.js';
import { enableWasmThreads } from './wasm-threads.js';

/**
 * The Node host: libtensorflow engines first, `os` for cores, tfjs-wasm threads started by gflow,
 * `worker_threads` for the wasm SIMD helper thread.
 */
export const nodeHost: Host = {
  runtime: 'node',
  autoOrder: NODE_ORDER,
  importer: nodeImporter,
  cores() {
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  },
  enableWasmThreads,
  spawnWorker(source, data) {
    const worker = new Worker(source, { eval: true, workerData: data });
    worker.unref();
    // A failure to start is reported through the helper's control block (it never becomes ready).
    worker.on('error', () => undefined);
    return { terminate: () => void worker.terminate() };
  },
};

setHost(nodeHost);

import os from 'node:os';
import { nodeImporter } from './engine-loaders.js';
import { type Host, NODE_ORDER, setHost } from './host.js';
import { enableWasmThreads } from './wasm-threads.js';

/** The Node host: libtensorflow engines first, `os` for cores, tfjs-wasm threads started by gflow. */
export const nodeHost: Host = {
  runtime: 'node',
  autoOrder: NODE_ORDER,
  importer: nodeImporter,
  cores() {
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  },
  enableWasmThreads,
};

setHost(nodeHost);

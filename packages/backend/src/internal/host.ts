import type { EngineName, Importer } from './engine-loaders.js';
import type { WasmThreadsSetup } from './wasm-threads-types.js';

/**
 * What differs between Node and a browser for engine selection. The shared selection code imports
 * no `node:` module; the Node entry (`index.ts`) installs {@link Host} from `node-host.ts`, the
 * browser entry (`index.browser.ts`, chosen by the package's `browser` export condition) the one
 * from `browser-host.ts`. Until one is installed, the portable default (the browser's) applies.
 */
export interface Host {
  /** Where gflow runs. */
  readonly runtime: 'node' | 'browser';
  /** The order `'auto'` tries, fastest first. */
  readonly autoOrder: readonly EngineName[];
  /** Imports the engines' packages. */
  readonly importer: Importer;
  /** Logical cores available to this process or page. */
  cores(): number;
  /** Prepares tfjs-wasm's threaded build (Node only: browsers pick it themselves when cross-origin isolated). */
  readonly enableWasmThreads?: (threads: number) => Promise<WasmThreadsSetup>;
}

/** Every engine name, in the order of the Node `'auto'` list, with webgl where a browser tries it. */
export const ALL_ENGINES: readonly EngineName[] = [
  'tensorflow-gpu',
  'tensorflow',
  'webgpu',
  'webgl',
  'wasm',
  'cpu',
];

/** The browser's `'auto'` order. */
export const BROWSER_ORDER: readonly EngineName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The Node `'auto'` order (webgl needs a page, so Node does not try it unless asked). */
export const NODE_ORDER: readonly EngineName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Imports a package by name. Bundlers resolve only literal specifiers, so the wasm backend (a
 * dependency of this package) is imported literally; anything else goes through a dynamic
 * `import()` that works where the page maps bare names (an import map), and fails cleanly elsewhere.
 */
const portableImporter: Importer = (specifier) =>
  specifier === '@tensorflow/tfjs-backend-wasm'
    ? import('@tensorflow/tfjs-backend-wasm')
    : import(/* @vite-ignore */ specifier);

/** The browser host (also the default before an entry installs one). */
export const browserHost: Host = {
  runtime: 'browser',
  autoOrder: BROWSER_ORDER,
  importer: portableImporter,
  cores() {
    const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
  },
};

let host: Host = browserHost;

/** Installs the host (called once by each package entry). */
export function setHost(h: Host): void {
  host = h;
}

/** The host in use. */
export function currentHost(): Host {
  return host;
}

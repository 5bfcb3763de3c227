import { ENGINE_NAMES } from '@gflow/core/internal';
import type { EngineName, Importer } from './engine-loaders.js';
import type { WasmThreadsSetup } from './wasm-threads-types.js';

/**
 * What differs between Node and a browser for engine selection. The shared selection code imports
 * no `node:` module; the Node entry (`index.ts`) installs {@link Host} from `node-host.ts`, the
 * browser entry (`index.browser.ts`, chosen by the package's `browser` export condition)
 * {@link browserHost}. Until one is installed, {@link currentHost} uses the browser's outside Node
 * and throws under Node.
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
  /**
   * Starts a worker thread that evaluates `source` with `data` cloned to it as `workerData`, and
   * that does not keep the process alive (Node only: gflow starts no worker in a page).
   */
  readonly spawnWorker?: (source: string, data: unknown) => { terminate(): void };
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

/** The Node `'auto'` order: `@gflow/core`'s shared list (webgl needs a page, so Node does not try it unless asked). */
export const NODE_ORDER: readonly EngineName[] = ENGINE_NAMES;

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

let host: Host | undefined;

/** Installs the host (called once by each package entry). */
export function setHost(h: Host): void {
  host = h;
}

/**
 * The host in use. Each entry installs one; code that imports modules below the entry (tests,
 * scripts) must install it too. Under Node that omission would silently select the browser's
 * engines, so it fails loudly there instead; elsewhere the browser host is the default.
 */
export function currentHost(): Host {
  if (host !== undefined) return host;
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node === 'string') {
    throw new Error(
      "@gflow/backend: no host installed: import '@gflow/backend' (its entry), or './internal/node-host.js' when importing modules below the entry",
    );
  }
  return browserHost;
}

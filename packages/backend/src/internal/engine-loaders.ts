import type { EngineName as SharedEngineName } from '@gflow/core/internal';
import * as tf from '@tensorflow/tfjs';
import { currentHost } from './host.js';

/**
 * The engines gflow knows: `@gflow/core`'s shared list (Node's `'auto'` order, the demo's
 * `--engine`) and `'webgl'`, which runs only in a page.
 */
export type EngineName = SharedEngineName | 'webgl';

/** What a loader found: the tfjs backend to switch to, or why the engine cannot start and what to do. */
export type LoadOutcome =
  | {
      readonly ok: true;
      /** The tfjs backend name to pass to `tf.setBackend`. */
      readonly tfName: string;
      readonly accelerated: boolean;
      readonly device?: string;
      /** The device, read once the backend has started (webgl names its renderer only then). */
      readonly deviceAfterStart?: () => string | undefined;
      /** A note for `tried` (how it started). */
      readonly note: string;
      /** What to do when the backend is found but fails to start (added to the reason). */
      readonly failureFix?: string;
    }
  | {
      readonly ok: false;
      /** Why it cannot start. */
      readonly reason: string;
      /** Exactly what to do about it (an install command where one helps). */
      readonly fix: string;
    };

/** Prepares one engine (imports and registers its tfjs backend) without switching to it. */
export type EngineLoader = () => Promise<LoadOutcome>;

/** One loader per engine. */
export type EngineLoaders = Readonly<Record<EngineName, EngineLoader>>;

/** Imports a module by name (injectable, so tests can simulate absent or broken packages). */
export type Importer = (specifier: string) => Promise<unknown>;

/** The real importer: a dynamic `import()` that bundlers leave alone. */
export const nodeImporter: Importer = (specifier) => import(/* @vite-ignore */ specifier);

type ImportResult =
  | { readonly kind: 'loaded'; readonly module: unknown }
  | { readonly kind: 'absent' }
  | { readonly kind: 'broken'; readonly message: string };

/** Imports `spec`, telling "not installed" (the package itself is missing) from "installed but broken". */
async function tryImport(importer: Importer, spec: string): Promise<ImportResult> {
  try {
    return { kind: 'loaded', module: await importer(spec) };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const message = String(e?.message ?? err);
    // Node says ERR_MODULE_NOT_FOUND "Cannot find package 'x'"; Vite (vitest) says "Could not resolve "x"".
    const notFound =
      e?.code === 'ERR_MODULE_NOT_FOUND' ||
      e?.code === 'MODULE_NOT_FOUND' ||
      /cannot find (package|module)|could not resolve|failed to resolve/i.test(message);
    const missingItself = notFound && (message.includes(`'${spec}'`) || message.includes(`"${spec}"`));
    return missingItself ? { kind: 'absent' } : { kind: 'broken', message: firstLine(message) };
  }
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Whether an import error says that tfjs-node's native part (libtensorflow, the addon) is missing. */
export function isMissingNativeLibrary(message: string): boolean {
  return /tfjs_binding\.node|libtensorflow|native addon|cannot open shared object file|\.so(\.\d+)*:|dlopen/i.test(
    message,
  );
}

function install(pkgs: string): string {
  return `install it: \`npm install ${pkgs}\` (or \`pnpm add ${pkgs}\`)`;
}

/** Loader for the two libtensorflow engines (tfjs-node and tfjs-node-gpu both register `tensorflow`). */
function tensorflowLoader(importer: Importer, gpu: boolean): EngineLoader {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  return async () => {
    if (currentHost().runtime === 'browser') {
      return {
        ok: false,
        reason: `${pkg} runs libtensorflow, a native Node.js library, and there is none in a browser`,
        fix: 'in a browser use webgpu, webgl or wasm',
      };
    }
    const r = await tryImport(importer, pkg);
    if (r.kind === 'absent') {
      return {
        ok: false,
        reason: `${pkg} is not installed`,
        fix: `${install(`${pkg}@^${tf.version_core}`)}${gpu ? '; it needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8 on Linux x64' : ''}`,
      };
    }
    if (r.kind === 'broken') {
      if (isMissingNativeLibrary(r.message)) {
        return {
          ok: false,
          reason: `${pkg} is installed but its native library is absent: its install script downloads libtensorflow from storage.googleapis.com, and that download failed (${r.message})`,
          fix: `rerun the download where that host is reachable: \`npm rebuild ${pkg}\` (set TFJS_NODE_CDN_STORAGE to use a mirror), or remove ${pkg} to silence this`,
        };
      }
      return {
        ok: false,
        reason: `${pkg} is installed but failed to load: ${r.message}`,
        fix: `reinstall it: \`npm install ${pkg}@^${tf.version_core}\``,
      };
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      return {
        ok: false,
        reason: `${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs (the versions differ)`,
        fix: `install matching versions: \`npm install ${pkg}@${tf.version_core} @tensorflow/tfjs@${tf.version_core}\``,
      };
    }
    return {
      ok: true,
      tfName: 'tensorflow',
      accelerated: true,
      ...(gpu ? { device: 'CUDA (libtensorflow GPU build)' } : {}),
      note: `${pkg} loaded (libtensorflow${gpu ? ', GPU build' : ''})`,
    };
  };
}

interface GpuLike {
  requestAdapter(
    options?: unknown,
  ): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null>;
}

/** Loader for WebGPU over Dawn (the `webgpu` npm package) and `@tensorflow/tfjs-backend-webgpu`. */
function webgpuLoader(importer: Importer): EngineLoader {
  // Kept whole: one ordered decision list (browser WebGPU, Dawn for Node, adapter, tfjs backend), each step returning its own reason and fix; splitting it would scatter the list that the user reads back as `tried`.
  return async () => {
    const g = globalThis as { navigator?: { gpu?: GpuLike } };
    let gpu = g.navigator?.gpu;
    const browser = currentHost().runtime === 'browser';
    if (gpu === undefined && browser) {
      return {
        ok: false,
        reason:
          'this browser exposes no WebGPU (navigator.gpu is undefined: not supported, disabled, or not a secure context)',
        fix: 'use a browser with WebGPU enabled (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows) over https or localhost',
      };
    }
    if (gpu === undefined) {
      const r = await tryImport(importer, 'webgpu');
      if (r.kind === 'absent') {
        return {
          ok: false,
          reason: 'the webgpu package (Dawn for Node.js) is not installed',
          fix: install(`webgpu @tensorflow/tfjs-backend-webgpu@^${tf.version_core}`),
        };
      }
      if (r.kind === 'broken') {
        return {
          ok: false,
          reason: `the webgpu package failed to load: ${r.message}`,
          fix: 'reinstall it: `npm install webgpu`',
        };
      }
      const mod = r.module as { create?: (flags: string[]) => GpuLike; globals?: object };
      if (typeof mod.create !== 'function') {
        return {
          ok: false,
          reason: 'the webgpu package does not export create()',
          fix: 'install a current version: `npm install webgpu@latest`',
        };
      }
      // The package's documented set-up: its globals, and navigator.gpu = create([]).
      if (mod.globals !== undefined) Object.assign(globalThis, mod.globals);
      gpu = mod.create([]);
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...(g.navigator ?? {}), gpu },
        configurable: true,
        writable: true,
      });
    }
    let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
    try {
      adapter = await gpu.requestAdapter();
    } catch (err) {
      adapter = null;
      void err;
    }
    if (adapter === null) {
      return {
        ok: false,
        reason: browser
          ? 'navigator.gpu.requestAdapter() found no GPU adapter (blocked GPU, driver, or headless without a software adapter)'
          : 'no GPU adapter found (Dawn sees no Vulkan, Metal or D3D12 device)',
        fix: 'run on a machine with a GPU and its driver (on Linux, a Vulkan driver), or choose another engine',
      };
    }
    // In a page, the bundler resolves only imports it can see: the page imports the optional
    // engine itself (`import '@tensorflow/tfjs-backend-webgpu'`), which registers its factory.
    const r: ImportResult =
      tf.findBackendFactory('webgpu') !== null
        ? { kind: 'loaded', module: undefined }
        : await tryImport(importer, '@tensorflow/tfjs-backend-webgpu');
    if (r.kind === 'absent' || (browser && r.kind === 'broken')) {
      return {
        ok: false,
        reason: browser
          ? '@tensorflow/tfjs-backend-webgpu is not loaded in this page'
          : '@tensorflow/tfjs-backend-webgpu is not installed',
        fix: browser
          ? `${install(`@tensorflow/tfjs-backend-webgpu@^${tf.version_core}`)} and add \`import '@tensorflow/tfjs-backend-webgpu';\` before initBackend()`
          : install(`@tensorflow/tfjs-backend-webgpu@^${tf.version_core}`),
      };
    }
    if (r.kind === 'broken') {
      return {
        ok: false,
        reason: `@tensorflow/tfjs-backend-webgpu failed to load: ${r.message}`,
        fix: `reinstall it: \`npm install @tensorflow/tfjs-backend-webgpu@^${tf.version_core}\``,
      };
    }
    if (tf.findBackendFactory('webgpu') === null) {
      return {
        ok: false,
        reason:
          '@tensorflow/tfjs-backend-webgpu registered its backend with another copy of @tensorflow/tfjs',
        fix: `install matching versions: \`npm install @tensorflow/tfjs-backend-webgpu@${tf.version_core}\``,
      };
    }
    const info = adapter.info ?? {};
    const device =
      [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'WebGPU adapter';
    return {
      ok: true,
      tfName: 'webgpu',
      accelerated: true,
      device,
      note: browser ? `WebGPU (${device})` : `WebGPU over Dawn (${device})`,
    };
  };
}

function wasmLoader(importer: Importer): EngineLoader {
  return async () => {
    const r = await tryImport(importer, '@tensorflow/tfjs-backend-wasm');
    if (r.kind !== 'loaded') {
      return {
        ok: false,
        reason:
          r.kind === 'absent'
            ? '@tensorflow/tfjs-backend-wasm is not installed (it is a dependency of @gflow/backend)'
            : `@tensorflow/tfjs-backend-wasm failed to load: ${r.message}`,
        fix: `reinstall: \`npm install @gflow/backend @tensorflow/tfjs-backend-wasm@^${tf.version_core}\``,
      };
    }
    if (currentHost().runtime === 'browser') {
      return {
        ok: true,
        tfName: 'wasm',
        accelerated: false,
        note: 'WebAssembly (XNNPACK)',
        failureFix:
          "serve the tfjs-backend-wasm*.wasm files (node_modules/@tensorflow/tfjs-backend-wasm/dist/) and point tfjs at them: `import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'; setWasmPaths('/their/folder/');` before initBackend()",
      };
    }
    return { ok: true, tfName: 'wasm', accelerated: false, note: 'WebAssembly (XNNPACK) from node_modules' };
  };
}

interface WebGlLike {
  getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
  getParameter(p: number): unknown;
  readonly RENDERER: number;
}

/** The WebGL renderer string of the started webgl backend (e.g. "ANGLE (…SwiftShader…)"), if readable. */
function webglRenderer(): string | undefined {
  try {
    const gl = (tf.backend() as { gpgpu?: { gl?: WebGlLike } }).gpgpu?.gl;
    if (gl === undefined) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = gl.getParameter(ext !== null ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Loader for tfjs's WebGL 2 backend (part of `@tensorflow/tfjs`); it needs a page (a canvas). */
const webglLoader: EngineLoader = async () => {
  const g = globalThis as { document?: unknown; OffscreenCanvas?: unknown };
  if (currentHost().runtime !== 'browser' || (g.document === undefined && g.OffscreenCanvas === undefined)) {
    return {
      ok: false,
      reason: 'webgl needs a browser page (a WebGL 2 context), and this is not one',
      fix: 'run in a browser, or choose wasm here',
    };
  }
  if (tf.findBackendFactory('webgl') === null) {
    return {
      ok: false,
      reason:
        'no webgl backend is registered (@tensorflow/tfjs-core was imported without @tensorflow/tfjs-backend-webgl)',
      fix: "import '@tensorflow/tfjs' (or '@tensorflow/tfjs-backend-webgl') in the page",
    };
  }
  return {
    ok: true,
    tfName: 'webgl',
    accelerated: true,
    deviceAfterStart: webglRenderer,
    note: 'WebGL 2',
  };
};

const cpuLoader: EngineLoader = async () => ({
  ok: true,
  tfName: 'cpu',
  accelerated: false,
  note: 'plain JavaScript (the last resort)',
});

/** The loaders, with an injectable importer. */
export function makeLoaders(importer: Importer = currentHost().importer): EngineLoaders {
  return {
    'tensorflow-gpu': tensorflowLoader(importer, true),
    tensorflow: tensorflowLoader(importer, false),
    webgpu: webgpuLoader(importer),
    webgl: webglLoader,
    wasm: wasmLoader(importer),
    cpu: cpuLoader,
  };
}

/** Threads the chosen engine computes with (host threads; for libtensorflow, its default pool). */
export async function threadsOf(tfName: string, importer: Importer): Promise<number> {
  if (tfName === 'wasm') {
    const mod = (await importer('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount?: () => number };
    return mod.getThreadsCount?.() ?? 1;
  }
  if (tfName === 'tensorflow') return currentHost().cores();
  return 1;
}

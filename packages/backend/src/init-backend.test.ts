// The Node entry's host (index.ts installs it); these tests import modules below the entry.
import './internal/node-host.js';
import os from 'node:os';
import { BackendUnavailableError, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, backendInfo, initBackend } from './init-backend.js';
import {
  type Importer,
  isMissingNativeLibrary,
  makeLoaders,
  nodeImporter,
} from './internal/engine-loaders.js';
import { browserHost, setHost } from './internal/host.js';
import { nodeHost } from './internal/node-host.js';
import { resolveThreads, selectBackend } from './internal/select-backend.js';

/** An importer that answers some specifiers itself and passes the rest to Node. */
function fakeImporter(answers: Record<string, () => unknown>): Importer {
  return async (spec) => {
    const answer = answers[spec];
    return answer === undefined ? nodeImporter(spec) : answer();
  };
}
function notFound(spec: string): never {
  throw Object.assign(
    new Error(`Cannot find package '${spec}' imported from /app/node_modules/@gflow/backend/dist/x.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
}
/** Registers a working fake tfjs backend under `name` (a fresh cpu backend instance). */
function registerFake(name: string): void {
  const Cpu = (tf.findBackend('cpu') as object).constructor as new () => tf.KernelBackend;
  tf.registerBackend(name, () => new Cpu(), 0);
}

const savedNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(async () => {
  for (const name of ['tensorflow', 'webgpu']) {
    if (tf.findBackendFactory(name) !== null) tf.removeBackend(name);
  }
  if (savedNavigator === undefined) delete (globalThis as { navigator?: unknown }).navigator;
  else Object.defineProperty(globalThis, 'navigator', savedNavigator);
  await initBackend({ prefer: 'wasm' });
});

describe('initBackend on this machine', () => {
  it('picks wasm by default, lists its fills, and explains every engine it skipped', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(backendInfo()).toBe(info);
    expect(info.accelerated).toBe(false);
    expect(typeof info.simd).toBe('boolean');
    expect(info.threads).toBe(1);
    expect(info.fills).toEqual(
      expect.arrayContaining([
        'kernel:Conv2DBackpropFilter',
        'kernel:Conv2DBackpropInput',
        'grad:Tanh',
        'grad:Conv2DBackpropFilter',
      ]),
    );
    expect(info.tried.map((t) => t.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm']);
    expect(info.tried.at(-1)).toMatchObject({ ok: true });
    for (const t of info.tried.slice(0, 3)) expect(t.reason).toMatch(/not installed.*npm install/);
  });

  it('starts cpu when asked, with its own fill and no wasm fills', async () => {
    const info = await initBackend({ prefer: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.fills.filter((f) => f.startsWith('kernel:'))).toEqual(['kernel:Conv2DBackpropFilter']);
    // The "Hi, looks like you are running TensorFlow.js in Node.js" hint is switched off.
    expect((tf.findBackend('cpu') as { firstUse?: boolean }).firstUse).toBe(false);
  });

  it('throws BackendUnavailableError with the install command and what is available', async () => {
    const err = await initBackend({ prefer: 'tensorflow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(
      /initBackend: options.prefer "tensorflow" could not start\. tensorflow: @tensorflow\/tfjs-node is not installed\. To enable it, install it: `npm install @tensorflow\/tfjs-node@\^4\.22\.0`/,
    );
    expect((err as Error).message).toMatch(/Available here: wasm, cpu/);
  });

  it('tries a list in order and takes the first that starts', async () => {
    const info = await initBackend({ prefer: ['webgpu', 'cpu', 'wasm'] });
    expect(info.name).toBe('cpu');
    expect(info.tried.map((t) => [t.name, t.ok])).toEqual([
      ['webgpu', false],
      ['cpu', true],
    ]);
  });

  it('rejects unknown engine names', async () => {
    await expect(initBackend({ prefer: 'gpu' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(initBackend({ prefer: [] as never })).rejects.toThrow(
      /options.prefer must be 'auto', one of/,
    );
  });

  it('availableBackends lists wasm and cpu here', async () => {
    expect(await availableBackends()).toEqual(['wasm', 'cpu']);
  });
});

describe('engine selection with injected loaders', () => {
  it('engine absent: says "not installed" and how to install it', async () => {
    const importer = fakeImporter({
      '@tensorflow/tfjs-node-gpu': () => notFound('@tensorflow/tfjs-node-gpu'),
    });
    const err = await selectBackend('tensorflow-gpu', makeLoaders(importer), importer).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(
      /@tensorflow\/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu@\^4\.22\.0.*CUDA/,
    );
  });

  it('engine installed but its libtensorflow download failed: says exactly that', async () => {
    const importer = fakeImporter({
      '@tensorflow/tfjs-node': () => {
        throw new Error(
          "The Node.js native addon module (tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node. Please run command 'npm rebuild @tensorflow/tfjs-node build-addon-from-source' to rebuild the native addon module.",
        );
      },
    });
    const err = await selectBackend('tensorflow', makeLoaders(importer), importer).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /@tensorflow\/tfjs-node is installed but its native library is absent: its install script downloads libtensorflow.*download failed.*npm rebuild @tensorflow\/tfjs-node/,
    );
    // 'auto' does not throw: the reason goes into `tried` and wasm starts.
    const info = await selectBackend('auto', makeLoaders(importer), importer);
    expect(info.name).toBe('wasm');
    expect(info.tried.find((t) => t.name === 'tensorflow')?.reason).toMatch(/native library is absent/);
  });

  it('engine installed but broken otherwise: reports the load error', async () => {
    const importer = fakeImporter({
      '@tensorflow/tfjs-node': () => {
        throw new SyntaxError('Unexpected token export');
      },
    });
    await expect(selectBackend('tensorflow', makeLoaders(importer), importer)).rejects.toThrow(
      /installed but failed to load: Unexpected token export/,
    );
  });

  it('engine present: switches to it and reports it as accelerated', async () => {
    const importer = fakeImporter({ '@tensorflow/tfjs-node': () => registerFake('tensorflow') });
    const info = await selectBackend('auto', makeLoaders(importer), importer);
    expect(info.name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info.accelerated).toBe(true);
    expect(info.fills.some((f) => f.startsWith('kernel:'))).toBe(false);
    expect(info.tried.map((t) => [t.name, t.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', true],
    ]);
  });

  it('engine present but failing to initialize: falls through with the reason', async () => {
    const importer = fakeImporter({
      '@tensorflow/tfjs-node-gpu': () =>
        tf.registerBackend('tensorflow', () => {
          throw new Error('CUDA driver version is insufficient for CUDA runtime version');
        }),
    });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const info = await selectBackend(['tensorflow-gpu', 'wasm'], makeLoaders(importer), importer);
      expect(info.name).toBe('wasm');
      expect(info.tried[0]!.reason).toMatch(/failed to initialize/);
    } finally {
      console.warn = warn;
    }
  });

  it('webgpu over Dawn with no adapter: "no GPU adapter found"', async () => {
    const importer = fakeImporter({
      webgpu: () => ({ globals: {}, create: () => ({ requestAdapter: async () => null }) }),
    });
    await expect(selectBackend('webgpu', makeLoaders(importer), importer)).rejects.toThrow(
      /webgpu: no GPU adapter found.*Available here: wasm, cpu/,
    );
  });

  it('webgpu with an adapter and the tfjs backend present: starts and names the device', async () => {
    const importer = fakeImporter({
      webgpu: () => ({
        globals: {},
        create: () => ({ requestAdapter: async () => ({ info: { vendor: 'acme', architecture: 'rdna9' } }) }),
      }),
      '@tensorflow/tfjs-backend-webgpu': () => registerFake('webgpu'),
    });
    const info = await selectBackend('webgpu', makeLoaders(importer), importer);
    expect(info).toMatchObject({ name: 'webgpu', accelerated: true, device: 'acme rdna9' });
  });

  it('webgpu package absent: install command for both packages', async () => {
    const importer = fakeImporter({ webgpu: () => notFound('webgpu') });
    await expect(selectBackend('webgpu', makeLoaders(importer), importer)).rejects.toThrow(
      /the webgpu package \(Dawn for Node.js\) is not installed.*npm install webgpu @tensorflow\/tfjs-backend-webgpu/,
    );
  });

  it('webgl outside a page: says it needs one', async () => {
    const importer = fakeImporter({});
    await expect(selectBackend('webgl', makeLoaders(importer), importer)).rejects.toThrow(
      /webgl needs a browser page/,
    );
  });

  it('the browser host: auto order webgpu, webgl, wasm, cpu; libtensorflow refused with the reason', async () => {
    setHost(browserHost);
    try {
      const importer = fakeImporter({});
      const info = await selectBackend('auto', makeLoaders(importer), importer);
      // Node has no navigator.gpu and no page: webgpu and webgl say why, wasm starts.
      expect(info.tried.map((t) => t.name)).toEqual(['webgpu', 'webgl', 'wasm']);
      expect(info.tried[0]?.reason).toMatch(/navigator\.gpu is undefined/);
      expect(info.tried[1]?.reason).toMatch(/webgl needs a browser page/);
      const err = await selectBackend('tensorflow', makeLoaders(importer), importer).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(/native Node\.js library, and there is none in a browser/);
    } finally {
      setHost(nodeHost);
    }
  });

  it('recognizes native-library errors', () => {
    expect(
      isMissingNativeLibrary('libtensorflow.so.2: cannot open shared object file: No such file or directory'),
    ).toBe(true);
    expect(
      isMissingNativeLibrary('The Node.js native addon module (tfjs_binding.node) can not be found'),
    ).toBe(true);
    expect(isMissingNativeLibrary('Unexpected token export')).toBe(false);
  });
});

describe('options.threads', () => {
  it("defaults to 1, takes 1–8, and 'auto' is min(os.availableParallelism(), 8)", () => {
    expect(resolveThreads(undefined)).toBe(1);
    expect(resolveThreads(3)).toBe(3);
    expect(resolveThreads('auto')).toBe(Math.min(os.availableParallelism(), 8));
    expect(() => resolveThreads(12)).toThrow(
      /options\.threads must be 'auto' or an integer in \[1, 8\], got 12/,
    );
  });

  it('threads: 1 on wasm starts the single-threaded engine, as the default does', async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 1 });
    expect(info.threads).toBe(1);
  });
});

import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gflow/backend';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserEngine, haveChromium, launch, serve } from '../src/browser.js';
import { bundleForBrowser } from '../src/bundle.js';
import {
  type FlowResult,
  flowCases,
  flowCheck,
  type HvpResult,
  hvpCases,
  type OrthoResult,
  orthoCases,
  orthoCheck,
  relDiff,
} from '../src/checks.js';
import type { PageResult } from '../src/page.js';

// Every check of src/checks.ts, in headless Chromium, on each engine. Without a Chromium these
// tests are skipped on a developer's machine and fail in CI (`.ci/run` installs Chromium).
const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
// .ci/run installs Chromium, and sets GFLOW_CHROMIUM_UNAVAILABLE only where it cannot.
const run =
  haveChromium || (process.env.CI !== undefined && process.env.GFLOW_CHROMIUM_UNAVAILABLE === undefined);

/** Tolerances. */
// Exact Hessian-vector products vs central differences at eps = 1e-3 (float32): the bound.
const HVP_TOL = 1e-2;
// measureGradientFlow in the page vs in Node (wasm): both float32, the same inputs and weights;
// engines differ in summation order and transcendental kernels, a few ulps per op over ~15 layers.
const FLOW_TOL = 1e-3;

let nodeFlow: FlowResult[];
let nodeOrtho: OrthoResult[];
let site: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  if (!run) return;
  await initBackend({ prefer: 'wasm' });
  nodeFlow = flowCases.map(flowCheck);
  nodeOrtho = orthoCases.map(orthoCheck);
  const page = await bundleForBrowser(`import './page.ts';`, srcDir);
  const files: Record<string, string | { file: string }> = {
    '/index.html':
      '<!doctype html><meta charset="utf-8"><title>gflow browser tests</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>',
    '/page.js': page.code,
  };
  for (const f of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm')))
    files[`/wasm/${f}`] = { file: path.join(wasmDir, f) };
  site = await serve(files);
}, 120_000);

afterAll(async () => {
  await site?.close();
});

const engines: BrowserEngine[] = ['webgl', 'webgpu', 'wasm', 'cpu'];

for (const engine of engines) {
  // tfjs's webgpu readSync copies through a canvas, which in headless Chromium loses SwiftShader's
  // WebGPU device (every later read fails): gflow's synchronous APIs are checked on the other
  // engines, and webgpu runs the same quantities with asynchronous reads.
  const syncReads = engine !== 'webgpu';
  describe.skipIf(!run)(`in headless Chromium on ${engine}`, () => {
    let browser: Browser | undefined;
    let result: PageResult;
    const consoleErrors: string[] = [];
    const consoleWarnings: string[] = [];

    beforeAll(async () => {
      if (!haveChromium)
        throw new Error('no Chromium at /usr/bin/chromium (set CHROMIUM_PATH, or apt-get install chromium)');
      browser = await launch(engine);
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
        if (m.type() === 'warning') consoleWarnings.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => 'gflowRun' in globalThis);
      result = await page.evaluate(
        ([e, sync]) =>
          (globalThis as unknown as { gflowRun(e: string, sync: boolean): Promise<PageResult> }).gflowRun(
            e,
            sync,
          ),
        [engine, syncReads] as const,
      );
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
    });

    it(`initBackend chooses ${engine} and says how it started`, () => {
      expect(result.engine).toBe(engine);
      expect(result.tried.at(-1)).toMatchObject({ name: engine, ok: true });
      expect(result.fills).toEqual(expect.arrayContaining(['grad:Tanh', 'grad:Softmax']));
      // The kernel fills: webgpu's grouped AddN, wasm's and cpu's from register-kernel-fills.
      const kernelFills = {
        webgl: [],
        webgpu: ['kernel:AddN'],
        wasm: ['kernel:Conv2DBackpropInput'],
        cpu: ['kernel:Conv2DBackpropFilter'],
      };
      expect(result.fills).toEqual(expect.arrayContaining(kernelFills[engine]));
      if (process.env.GFLOW_BROWSER_REPORT)
        console.log(
          JSON.stringify({
            engine,
            device: result.device,
            tried: result.tried,
            hvp: result.hvp,
            hvpAsync: result.hvpAsync,
          }),
        );
      expect(result.errors).toEqual([]);
    });

    it(
      engine === 'wasm'
        ? "runs a 3×3 convolution by gflow's Winograd kernel on the page's main thread within 1e-5 of float64"
        : 'has no Winograd check here (wasm only)',
      () => {
        if (engine !== 'wasm') {
          expect(result.winograd).toBeNull();
          return;
        }
        expect(result.winograd, result.errors.join('\n')).not.toBeNull();
        expect(result.winograd!.ran).toBe(true);
        expect(result.winograd!.relErr).toBeLessThan(1e-5);
      },
    );

    const checkHvp = (list: readonly HvpResult[], name: string) => {
      const r = list.find((h) => h.name === name);
      expect(r, result.errors.join('\n')).toBeDefined();
      expect(r!.mode).toBe('exact');
      expect(r!.norm).toBeGreaterThan(0);
      expect(r!.relDiff).toBeLessThan(HVP_TOL);
    };
    const checkFlow = (list: readonly FlowResult[], name: string) => {
      const got = list.find((f) => f.name === name);
      const want = nodeFlow.find((f) => f.name === name)!;
      expect(got, result.errors.join('\n')).toBeDefined();
      expect(got!.taps.map((t) => t.name)).toEqual(want.taps.map((t) => t.name));
      expect(want.taps.every((t) => t.gradNorm !== null && t.gradNorm > 0)).toBe(true);
      expect(relDiff([got!.loss], [want.loss])).toBeLessThan(FLOW_TOL);
      got!.taps.forEach((t, i) => {
        expect(relDiff([t.gradNorm ?? Number.NaN], [want.taps[i]!.gradNorm!]), t.name).toBeLessThan(FLOW_TOL);
      });
    };

    for (const name of hvpCases) {
      it(`Hessian-vector product (tfjs ops, async reads), ${name}, softmax cross-entropy: exact within ${HVP_TOL} of finite differences`, () => {
        checkHvp(result.hvpAsync, name);
      });
      it.skipIf(!syncReads)(
        `@gflow/landscape hessianVectorProduct, ${name}, softmax cross-entropy: exact within ${HVP_TOL} of finite differences`,
        () => {
          checkHvp(result.hvp, name);
        },
      );
    }

    for (const name of flowCases) {
      it(`‖∂L/∂h‖ per tap (tfjs ops, async reads) on a ${name} matches measureGradientFlow in Node within ${FLOW_TOL}`, () => {
        checkFlow(result.flowAsync, name);
      });
      it(`measureGradientFlowAsync on a ${name} matches measureGradientFlow in Node within ${FLOW_TOL}`, () => {
        checkFlow(result.flowLibAsync, name);
      });
      it.skipIf(!syncReads)(
        `measureGradientFlow on a ${name} matches Node's (wasm) within ${FLOW_TOL}`,
        () => {
          checkFlow(result.flow, name);
        },
      );
    }

    it.skipIf(engine !== 'webgl' && engine !== 'webgpu')(
      "initBackend() 'auto' tries webgpu first and says why it was or was not chosen",
      async () => {
        const page = await browser!.newPage();
        page.on('pageerror', (e) => consoleErrors.push(String(e)));
        await page.goto(`${site.origin}/`);
        await page.waitForFunction(() => 'gflowAuto' in globalThis);
        const tried = await page.evaluate(() =>
          (globalThis as unknown as { gflowAuto(): Promise<PageResult['tried']> }).gflowAuto(),
        );
        await page.close();
        if (engine === 'webgpu') {
          // SwiftShader's adapter: the first engine of the browser order starts.
          expect(tried).toEqual([expect.objectContaining({ name: 'webgpu', ok: true })]);
        } else {
          // No WebGPU adapter without the switches: webgpu is skipped with the reason, webgl starts.
          expect(tried.map((t) => [t.name, t.ok])).toEqual([
            ['webgpu', false],
            ['webgl', true],
          ]);
          expect(tried[0]!.reason).toMatch(/no GPU adapter/);
        }
      },
    );

    for (const name of orthoCases) {
      it(`orthogonal RNN (${name}), parameters on the engine, prefetchParameters: the output and the gradient match Node's within ${FLOW_TOL}`, () => {
        const got = result.ortho.find((o) => o.name === name);
        const want = nodeOrtho.find((o) => o.name === name)!;
        expect(got, result.errors.join('\n')).toBeDefined();
        expect(got!.output).toHaveLength(want.output.length);
        expect(relDiff(got!.output, want.output)).toBeLessThan(FLOW_TOL);
        // The gradient too: for 'exp' on webgpu and webgl, matrixExp's device path against Node's float64 one.
        expect(got!.gradient).toHaveLength(want.gradient.length);
        const gradDiff = relDiff(got!.gradient, want.gradient);
        console.log(
          `${engine} orthogonal RNN (${name}): gradient relative difference from Node ${gradDiff.toExponential(2)}`,
        );
        expect(gradDiff).toBeLessThan(FLOW_TOL);
      });
    }

    it.skipIf(engine !== 'webgpu')(
      'webgpu: no synchronous GPU read (the canvas copy tfjs warns about at its first use)',
      () => {
        expect(consoleWarnings.filter((w) => /synchronously reading data from GPU/.test(w))).toEqual([]);
      },
    );

    it('leaves no tensor behind', () => {
      expect(result.tensorsAfter).toBe(result.tensorsBefore);
    });

    it('logs no console error', () => {
      expect(consoleErrors).toEqual([]);
    });
  });
}

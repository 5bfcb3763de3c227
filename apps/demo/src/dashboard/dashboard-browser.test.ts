/**
 * End to end, in a real browser: the dashboard server, a model trained with `trainStep` (taps on)
 * whose monitor streams through `dashboardLogger`, and the page in headless Chromium (Debian's
 * `chromium`, driven by playwright-core; no browser is downloaded). Screenshots go to
 * $GFLOW_DASHBOARD_SHOTS (default <tmp>/dashboard-shots).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gflow/backend';
import {
  clipByGlobalNorm,
  createTrainState,
  dashboardLogger,
  disposeTrainState,
  GradientMonitor,
  instrument,
  TrainingGuard,
  trainStep,
  warmupCosine,
  watchFlow,
} from '@gflow/diagnostics';
import { plainMLP } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardServer, startDashboard } from './server.js';

const CANDIDATES = [process.env.GFLOW_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const executablePath = CANDIDATES.find((p): p is string => typeof p === 'string' && existsSync(p));
if (!executablePath) {
  const reason = `dashboard browser test: no Chromium at ${CANDIDATES.filter(Boolean).join(', ')} (install Debian's chromium, or set GFLOW_CHROMIUM)`;
  // CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip, unless
  // .ci/run found installing it impossible and said why.
  const unavailable = process.env.GFLOW_CHROMIUM_UNAVAILABLE;
  if (process.env.CI && !unavailable) throw new Error(`${reason}; CI must run this test`);
  console.warn(`skipped: ${reason}${unavailable ? `; ${unavailable}` : ''}`);
}

const shots = process.env.GFLOW_DASHBOARD_SHOTS ?? join(tmpdir(), 'dashboard-shots');
const logDir = mkdtempSync(join(tmpdir(), 'gflow-dashboard-e2e-'));
let server: DashboardServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!executablePath) return;
  await initBackend({ prefer: 'cpu' });
  mkdirSync(shots, { recursive: true });
  server = await startDashboard({ logDir, port: 0 });
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--headless'] });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(logDir, { recursive: true, force: true });
});

/** What the page shows: total steps, one run's steps, and rectangles drawn in the two heatmaps. */
async function shown(page: Page, run: string) {
  return page.evaluate((r) => {
    const steps = document.querySelector(`td.steps[data-run="${r}"]`)?.textContent ?? '0';
    return {
      total: Number(document.getElementById('total-steps')?.textContent ?? '0'),
      steps: Number(steps),
      tapCells: document.querySelectorAll('#taps svg .mark-rect.role-mark path').length,
      paramCells: document.querySelectorAll('#params svg .mark-rect.role-mark path').length,
      lines: document.querySelectorAll('#timeline svg .mark-line.role-mark path').length,
    };
  }, run);
}

async function apiSteps(run: string): Promise<number> {
  const r = (await (await fetch(`${server?.url}/api/runs`)).json()) as {
    runs: { name: string; steps: number }[];
  };
  return r.runs.find((x) => x.name === run)?.steps ?? 0;
}

describe.skipIf(!executablePath)('gflow dashboard in headless Chromium', () => {
  it('the step count and the heatmaps grow while a model trains, with no console errors', async () => {
    const srv = server as DashboardServer;
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1800 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(srv.url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');

    const before = tf.memory().numTensors;
    const depth = 6;
    const model = plainMLP({ depth, width: 16, inputSize: 8, outputSize: 2, activation: 'tanh', seed: 1 });
    const x = tf.randomNormal([32, 8], 0, 1, 'float32', 2);
    const y = tf.randomNormal([32, 2], 0, 1, 'float32', 3);
    const optimizer = tf.train.sgd(0.05);
    const schedule = warmupCosine({ peak: 0.05, warmupSteps: 10, totalSteps: 60 });
    const live = dashboardLogger({ run: 'mlp-tanh', url: srv.url });
    const monitor = new GradientMonitor({ loggers: [live], histogram: { every: 5 } });
    const state = createTrainState({ schedule });
    const train = async (steps: number) => {
      for (let i = 0; i < steps; i++) {
        trainStep(model, { inputs: x, targets: y }, state, { optimizer, monitor, taps: true });
        await new Promise((r) => setTimeout(r, 5)); // as between model.fit batches: lets the logger send
      }
      await live.flush();
    };

    // Phase 1: 15 steps. The page shows them without a reload.
    await train(15);
    expect(await apiSteps('mlp-tanh')).toBe(15);
    await page.waitForFunction(
      () =>
        document.querySelector('td.steps[data-run="mlp-tanh"]')?.textContent === '15' &&
        document.querySelectorAll('#taps svg .mark-rect.role-mark path').length > 0,
      undefined,
      { timeout: 20_000 },
    );
    // the heatmap draws every (tap, step) cell once the page has caught up
    await page.waitForFunction(
      () => document.querySelectorAll('#taps svg .mark-rect.role-mark path').length >= 15 * 6,
      undefined,
      {
        timeout: 20_000,
      },
    );
    const first = await shown(page, 'mlp-tanh');
    await page.screenshot({ path: join(shots, '1-after-15-steps.png'), fullPage: true });

    // Phase 2: 45 more steps, while the page stays open.
    await train(45);
    expect(await apiSteps('mlp-tanh')).toBe(60);
    await page.waitForFunction(
      (n) =>
        document.querySelector('td.steps[data-run="mlp-tanh"]')?.textContent === '60' &&
        document.querySelectorAll('#taps svg .mark-rect.role-mark path').length >= n,
      60 * depth,
      { timeout: 20_000 },
    );
    const second = await shown(page, 'mlp-tanh');
    await page.screenshot({ path: join(shots, '2-after-60-steps.png'), fullPage: true });
    expect(first.steps).toBe(15);
    expect(second.steps).toBe(60);
    // one cell per tap and step: depth taps (blocks.0 … blocks.5) per step
    expect(first.tapCells).toBe(15 * depth);
    expect(second.tapCells).toBe(60 * depth);
    expect(second.paramCells).toBeGreaterThan(first.paramCells);

    // A second run, clipped, side by side with the first on the same scales.
    const model2 = plainMLP({ depth, width: 16, inputSize: 8, outputSize: 2, activation: 'relu', seed: 2 });
    const opt2 = tf.train.sgd(0.2);
    const live2 = dashboardLogger({ run: 'mlp-relu-clipped', url: srv.url });
    const monitor2 = new GradientMonitor({ loggers: [live2], histogram: { every: 5 } });
    const state2 = createTrainState({ transform: clipByGlobalNorm(0.5) });
    for (let i = 0; i < 30; i++) {
      trainStep(model2, { inputs: x, targets: y }, state2, {
        optimizer: opt2,
        monitor: monitor2,
        taps: true,
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    await live2.flush();
    await page.waitForFunction(
      () => document.querySelector('td.steps[data-run="mlp-relu-clipped"]')?.textContent === '30',
      undefined,
      { timeout: 20_000 },
    );
    await page.check('#mode-side');
    await page.waitForFunction(
      () => document.querySelectorAll('#taps svg .mark-rect.role-mark path').length >= 90 * 6,
      undefined,
      { timeout: 20_000 },
    );
    await page.screenshot({ path: join(shots, '3-two-runs-side-by-side.png'), fullPage: true });
    expect((await shown(page, 'mlp-relu-clipped')).tapCells).toBe(90 * depth);
    expect(await page.locator('#findings h3').count()).toBe(2);

    // The static export (the report's format) of the same runs opens cleanly too.
    const exported = await (browser as Browser).newPage({ viewport: { width: 1200, height: 1400 } });
    exported.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`export ${m.type()}: ${m.text()}`);
    });
    exported.on('pageerror', (e) => problems.push(`export pageerror: ${e.message}`));
    await exported.goto(`${srv.url}/export`);
    expect(await exported.locator('figure svg').count()).toBeGreaterThanOrEqual(2 + 2 * 4);
    expect(await exported.locator('#run-mlp-tanh-taps svg').count()).toBe(1);
    await exported.screenshot({ path: join(shots, '4-static-export.png'), fullPage: true });
    await exported.close();

    expect(problems).toEqual([]);
    await page.close();
    for (const st of [state, state2]) disposeTrainState(st);
    monitor.dispose();
    monitor2.dispose();
    optimizer.dispose();
    opt2.dispose();
    model.dispose();
    model2.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('[slow] a 300-step model.fit with watchFlow streams to the page as it runs: steps and both heat maps grow (screenshots mid-fit and at the end)', async () => {
    const srv = server as DashboardServer;
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1800 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(srv.url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');
    // hide the runs of other tests (a new run is shown when its first records arrive)
    for (const box of await page.locator('input.pick').all()) await box.uncheck();

    const before = tf.memory().numTensors;
    const run = 'fit-adam-clipped';
    const live = dashboardLogger({ run, url: srv.url });
    const monitor = new GradientMonitor({ loggers: [live], histogram: { every: 10 } });
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [8] }));
    for (let i = 0; i < 3; i++) model.add(tf.layers.dense({ units: 16, activation: 'tanh' }));
    model.add(tf.layers.dense({ units: 2 }));
    const guard = new TrainingGuard();
    const optimizer = instrument(tf.train.adam(0.01), {
      monitor,
      transform: clipByGlobalNorm(0.5),
      guard,
      schedule: warmupCosine({ peak: 0.01, warmupSteps: 30, totalSteps: 300 }),
    });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const x = tf.randomNormal([320, 8], 0, 1, 'float32', 4);
    const y = tf.tidy(() => tf.tanh(tf.matMul(x, tf.randomNormal([8, 2], 0, 1, 'float32', 5))));
    // 10 batches of 32 per epoch, 30 epochs: 300 steps. watchFlow measures ‖∂L/∂h‖ at every layer
    // on a held batch before training and every 30 steps (11 times, 5 layers each).
    const held = { inputs: x.slice([0, 0], [32, 8]), targets: y.slice([0, 0], [32, 2]) };
    const flow = watchFlow(model, { every: 30, batch: held, monitor });
    const seen: number[] = [];
    const cells: number[] = [];
    const tapCells: number[] = [];
    const atEpochEnd = async (epoch: number) => {
      await live.flush();
      seen.push(await apiSteps(run));
      const n = (epoch + 1) * 10;
      // the table, then the heat map (drawn a moment later): 10 parameters (5 kernels, 5 biases) per step
      await page.waitForFunction(
        ([r, k]) =>
          Number(document.querySelector(`td.steps[data-run="${r}"]`)?.textContent) >= (k as number) &&
          document.querySelectorAll('#params svg .mark-rect.role-mark path').length >= (k as number) * 10,
        [run, n] as const,
        { timeout: 20_000 },
      );
      const now = await shown(page, run);
      cells.push(now.paramCells);
      tapCells.push(now.tapCells);
      if (epoch === 14) await page.screenshot({ path: join(shots, 'fit-1-step-150.png'), fullPage: true });
    };
    await model.fit(x, y, {
      epochs: 30,
      batchSize: 32,
      shuffle: false,
      verbose: 0,
      callbacks: [flow, new tf.CustomCallback({ onEpochEnd: atEpochEnd })],
    });
    await live.flush();
    await page.screenshot({ path: join(shots, 'fit-2-step-300.png'), fullPage: true });

    expect(seen.at(-1)).toBe(300);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
    // the parameter heat map grows with every epoch, one cell per parameter and step
    expect(cells.at(-1)).toBe(300 * 10);
    for (let i = 1; i < cells.length; i++) expect(cells[i]).toBeGreaterThan(cells[i - 1] as number);
    // the activation-gradient heat map fills as watchFlow measures: every 3 epochs a new column
    expect(tapCells.at(-1)).toBeGreaterThanOrEqual(10 * 5);
    for (let i = 3; i < tapCells.length; i += 3)
      expect(tapCells[i]).toBeGreaterThan(tapCells[i - 3] as number);
    expect(problems).toEqual([]);

    await page.close();
    monitor.dispose();
    guard.dispose();
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y, held.inputs, held.targets]);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});

// The playground page: controls → URL hash → measurement in the page → plots, explanations and
// #gflow-state. Bundled by build.mjs (esbuild, one classic script, so the page works from disk).
import '@tensorflow/tfjs-backend-webgpu';
import { backendInfo, initBackend } from '@gflow/backend';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  choices,
  defaultConfig,
  defaultsFor,
  familyLabels,
  type Key,
  type PlaygroundConfig,
  parseHash,
  ranges,
  realRanges,
  relevantKeys,
  toHash,
} from './config.js';
import {
  buildProblem,
  type LossLine,
  lossLineOf,
  type Measurement,
  measureProblem,
  measureProblemAsync,
  type Problem,
  type TrainResult,
  topEigenvalue,
  train,
} from './measure.js';
import {
  explainEigen,
  explainFlow,
  explainLine,
  explainTraining,
  flowPlot,
  linePlot,
  lossPlot,
  pathsPlot,
} from './view.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const keys: readonly Key[] = [
  'family',
  'depth',
  'length',
  'width',
  'activation',
  'init',
  'norm',
  'placement',
  'branch',
  'rho',
  'seed',
];
const TRAIN_STEPS = 50;
/** Redraw the flow and the loss curve every this many training steps. */
const REDRAW_EVERY = 5;

/** Everything the page holds between events. */
const page = {
  version: 0,
  problem: null as Problem | null,
  measurement: null as Measurement | null,
  ignored: [] as string[],
  action: 'measure' as 'measure' | 'train' | 'hessian' | 'line',
  ms: 0,
  measurements: 0,
  train: null as (TrainResult & { readonly steps: number; readonly done: boolean }) | null,
  before: null as Measurement | null,
  top: null as Awaited<ReturnType<typeof topEigenvalue>> | null,
  line: null as LossLine | null,
};

function engineName(): string {
  return backendInfo()?.name ?? 'unknown';
}

function readControls(): PlaygroundConfig {
  const get = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id).value;
  const int = (id: keyof typeof ranges) => {
    const [lo, hi] = ranges[id];
    const n = Math.round(Number(get(id)));
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : defaultConfig[id];
  };
  const real = (id: keyof typeof realRanges) => {
    const [lo, hi] = realRanges[id];
    const n = Number(get(id));
    return Number.isFinite(n) && get(id).trim() !== '' ? Math.min(hi, Math.max(lo, n)) : defaultConfig[id];
  };
  return {
    family: get('family') as PlaygroundConfig['family'],
    activation: get('activation') as PlaygroundConfig['activation'],
    init: get('init') as PlaygroundConfig['init'],
    norm: get('norm') as PlaygroundConfig['norm'],
    placement: get('placement') as PlaygroundConfig['placement'],
    depth: int('depth'),
    length: int('length'),
    width: int('width'),
    seed: int('seed'),
    branch: real('branch'),
    rho: real('rho'),
  };
}

/** The family the controls show (set by {@link writeControls} and by the family control). */
let shownFamily: PlaygroundConfig['family'] = 'plain';

function writeControls(c: PlaygroundConfig): void {
  shownFamily = c.family;
  for (const key of keys) $<HTMLInputElement | HTMLSelectElement>(key).value = String(c[key]);
  const relevant = relevantKeys(c.family);
  for (const label of Array.from(document.querySelectorAll<HTMLLabelElement>('form label[data-key]'))) {
    label.hidden = !relevant.has(label.dataset.key as Key);
  }
}

function fillSelects(): void {
  for (const [key, list] of Object.entries(choices)) {
    const sel = $<HTMLSelectElement>(key);
    sel.innerHTML = list
      .map(
        (v) =>
          `<option value="${v}">${key === 'family' ? familyLabels[v as PlaygroundConfig['family']] : v}</option>`,
      )
      .join('');
  }
  for (const [key, [lo, hi]] of [...Object.entries(ranges), ...Object.entries(realRanges)]) {
    const input = $<HTMLInputElement>(key);
    input.min = String(lo);
    input.max = String(hi);
  }
}

/** Writes everything the page shows into #gflow-state (one JSON object, `version` growing). */
function writeState(): void {
  page.version += 1;
  const m = page.measurement;
  $('gflow-state').textContent = JSON.stringify({
    version: page.version,
    ...m,
    ignored: page.ignored,
    action: page.action,
    ms: page.ms,
    measurements: page.measurements,
    train: page.train,
    hessian: page.top?.result ?? null,
    lossLine: page.line,
    // Live tensors now (numTensors is at the measurement, which during training is mid-run).
    live: tf.memory().numTensors,
  });
}

function showError(what: string, e: unknown): void {
  $('errors').textContent = `${what}: ${(e as Error).message ?? String(e)}`;
}

function renderFlow(m: Measurement): void {
  $('flow-title').textContent = `Gradient flow: ‖∂L/∂h‖ per ${m.axis}`;
  $('plot').innerHTML = flowPlot(m);
  $('explanation').innerHTML = explainFlow(m);
  const paths = pathsPlot(m);
  $('paths-section').hidden = paths === '';
  $('paths').innerHTML = paths;
}

function resetExtras(): void {
  page.train = null;
  page.before = null;
  page.top = null;
  page.line = null;
  $('loss-plot').innerHTML = '';
  $('train-status').textContent = '';
  $('landscape-status').textContent = '';
  $('line-plot').innerHTML = '';
  $('line-explanation').innerHTML = '';
  $('train-explanation').innerHTML =
    `<p>Trains this network on its one random batch with gflow's trainStepAsync and Adam; the gradient flow above is measured again every ${REDRAW_EVERY} steps.</p>`;
  $('hessian-explanation').innerHTML =
    '<p>On demand: the Hessian’s largest eigenvalue (Lanczos on Hessian-vector products), and the loss along a line through the current weights: along the top eigenvector once it is computed, else along a random filter-normalized direction.</p>';
}

async function measureNow(p: Problem): Promise<Measurement> {
  const engine = engineName();
  // webgpu: asynchronous reads (tfjs's synchronous webgpu read goes through a canvas).
  const m = engine === 'webgpu' ? await measureProblemAsync(p, engine) : measureProblem(p, engine);
  page.measurements += 1;
  return m;
}

/** One action at a time: each waits for the one before (a control changed during training waits). */
let queue: Promise<void> = Promise.resolve();
function enqueue(job: () => Promise<void>): void {
  queue = queue.then(job, job);
}

/**
 * Training, the eigenvalue and the loss line use gflow's asynchronous variants on every engine
 * (trainStepAsync, hessianEigenvaluesAsync, lossLineAsync): the page stays responsive, and on
 * webgpu no read goes through tfjs's synchronous canvas copy (which in headless Chromium over
 * SwiftShader loses the device). That holds for the orthogonal RNN too: the library awaits its
 * generator's values before each forward pass, and its matrix exponential's gradient runs on the
 * GPU there.
 */

function setBusy(busy: boolean): void {
  for (const id of ['train', 'hessian', 'line']) $<HTMLButtonElement>(id).disabled = busy;
}

/** The newest configuration change; an update that a newer one has overtaken is skipped. */
let latest = 0;

/** Queues a re-measurement for a control change or a new hash, timed from `t0`. */
function requestUpdate(fromHash: boolean, t0: number): void {
  const ticket = ++latest;
  enqueue(() => (ticket === latest ? update(fromHash, t0) : Promise.resolve()));
}

async function update(fromHash: boolean, t0: number): Promise<void> {
  let config: PlaygroundConfig;
  if (fromHash) {
    const { config: c, ignored } = parseHash(location.hash);
    config = c;
    page.ignored = ignored;
  } else {
    config = readControls();
    page.ignored = [];
    if (location.hash !== toHash(config)) history.replaceState(null, '', toHash(config));
  }
  writeControls(config);
  $('warnings').textContent =
    page.ignored.length > 0 ? `Ignored in the link: ${page.ignored.join('; ')}.` : '';
  $('errors').textContent = '';
  setBusy(false);
  try {
    page.problem?.dispose();
    page.problem = null;
    resetExtras();
    page.problem = buildProblem(config);
    const m = await measureNow(page.problem);
    page.measurement = m;
    page.action = 'measure';
    renderFlow(m);
    page.ms = performance.now() - t0;
    const cold =
      page.measurements === 1 ? ' (the first measurement includes compiling the engine’s kernels)' : '';
    $('timing').textContent =
      `Measured in ${page.ms.toFixed(0)} ms on ${m.engine}${cold}; ${m.numTensors} tensors live.`;
    writeState();
  } catch (e) {
    showError('Could not measure', e);
  }
}

async function runTraining(): Promise<void> {
  const p = page.problem;
  if (p === null || page.measurement === null) return;
  const clip = $<HTMLInputElement>('clip').checked;
  const t0 = performance.now();
  setBusy(true);
  page.top = null;
  page.line = null;
  $('line-plot').innerHTML = '';
  $('line-explanation').innerHTML = '';
  page.before = page.measurement;
  page.action = 'train';
  try {
    await train(p, TRAIN_STEPS, clip, async (step, r) => {
      if (step % REDRAW_EVERY !== 0 && step !== TRAIN_STEPS) return;
      const m = await measureNow(p);
      page.measurement = m;
      page.train = {
        ...r,
        losses: [...r.losses],
        globalNorms: [...r.globalNorms],
        steps: step,
        done: step === TRAIN_STEPS,
      };
      renderFlow(m);
      $('loss-plot').innerHTML = lossPlot(r);
      $('train-status').textContent = `step ${step} of ${TRAIN_STEPS}`;
      $('train-explanation').innerHTML = explainTraining(r, page.before, m);
      page.ms = performance.now() - t0;
      writeState();
      await tf.nextFrame(); // let the browser draw and take input
    });
    $('train-status').textContent = `${TRAIN_STEPS} steps in ${(performance.now() - t0).toFixed(0)} ms`;
  } catch (e) {
    showError(`Could not train on ${engineName()}`, e);
  } finally {
    setBusy(false);
  }
}

async function runHessian(): Promise<void> {
  const p = page.problem;
  if (p === null) return;
  setBusy(true);
  $('landscape-status').textContent = 'computing the top eigenvalue…';
  await tf.nextFrame();
  const t0 = performance.now();
  try {
    const top = await topEigenvalue(p);
    page.top = top;
    page.action = 'hessian';
    page.ms = performance.now() - t0;
    $('hessian-explanation').innerHTML = explainEigen(top.result);
    $('landscape-status').textContent = `eigenvalue in ${page.ms.toFixed(0)} ms`;
    writeState();
  } catch (e) {
    $('landscape-status').textContent = '';
    showError(`Could not compute the Hessian eigenvalue on ${engineName()}`, e);
  } finally {
    setBusy(false);
  }
}

async function runLine(): Promise<void> {
  const p = page.problem;
  if (p === null) return;
  setBusy(true);
  $('landscape-status').textContent = 'evaluating the loss line…';
  await tf.nextFrame();
  const t0 = performance.now();
  try {
    page.line = await lossLineOf(p, page.top ?? undefined);
    page.action = 'line';
    page.ms = performance.now() - t0;
    $('line-plot').innerHTML = linePlot(page.line);
    $('line-explanation').innerHTML = explainLine(page.line);
    $('landscape-status').textContent = `loss line in ${page.ms.toFixed(0)} ms`;
    writeState();
  } catch (e) {
    $('landscape-status').textContent = '';
    showError(`Could not evaluate the loss line on ${engineName()}`, e);
  } finally {
    setBusy(false);
  }
}

async function main(): Promise<void> {
  fillSelects();
  // The wasm files sit beside the page (build.mjs copies them); a page opened from disk cannot
  // fetch them, and initBackend then says so and moves on.
  setWasmPaths(new URL('./wasm/', location.href).href);
  // ?engine=wasm (or webgl, webgpu, cpu) tries that engine first; the default order otherwise.
  const order = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
  const asked = new URLSearchParams(location.search).get('engine');
  const first = order.find((e) => e === asked);
  let info = await initBackend({ prefer: first ? [first, ...order.filter((e) => e !== first)] : 'auto' });
  // A software GPU (SwiftShader, llvmpipe: a CPU emulating a GPU) is 5–25× slower than wasm for
  // these networks (README, "How fast"); where the page is served, so that wasm can load its
  // files, and no engine was asked for, use wasm instead and say so.
  let swapped = '';
  const software = /swiftshader|llvmpipe|software/i.test(info.device ?? '');
  if (
    asked === null &&
    software &&
    (info.name === 'webgl' || info.name === 'webgpu') &&
    location.protocol !== 'file:'
  ) {
    const gpu = info.name;
    const wasm = await initBackend({ prefer: ['wasm', gpu] });
    if (wasm.name === 'wasm') {
      swapped = ` (not ${gpu}: its device is a software renderer, slower than wasm here; ?engine=${gpu} to use it)`;
      info = wasm;
    }
  }
  const note =
    asked === null
      ? ''
      : first === undefined
        ? ` (ignored ?engine=${asked}: one of ${order.join(', ')})`
        : info.name !== first
          ? ` (${first} was asked for and could not start: hover for why)`
          : '';
  $('engine').textContent = `engine: ${info.name}${info.device ? ` (${info.device})` : ''}${note}${swapped}`;
  $('engine').title = info.tried.map((t) => `${t.name}: ${t.ok ? 'ok' : 'skipped'} — ${t.reason}`).join('\n');
  // A new family brings its own default sizes, unless the sizes were changed from the old one's.
  $('family').addEventListener('change', () => {
    const next = $<HTMLSelectElement>('family').value as PlaygroundConfig['family'];
    const was = defaultsFor(shownFamily);
    const now = defaultsFor(next);
    for (const key of ['depth', 'width'] as const) {
      const input = $<HTMLInputElement>(key);
      if (Number(input.value) === was[key]) input.value = String(now[key]);
    }
    shownFamily = next;
  });
  for (const id of keys) {
    $(id).addEventListener('change', () => {
      const t0 = performance.now();
      requestUpdate(false, t0);
    });
  }
  $('train').addEventListener('click', () => enqueue(runTraining));
  $('hessian').addEventListener('click', () => enqueue(runHessian));
  $('line').addEventListener('click', () => enqueue(runLine));
  window.addEventListener('hashchange', () => {
    const t0 = performance.now();
    requestUpdate(true, t0);
  });
  const t0 = performance.now();
  requestUpdate(true, t0);
}

main().catch((e: unknown) => {
  $('errors').textContent = `The playground could not start: ${(e as Error).message}`;
});

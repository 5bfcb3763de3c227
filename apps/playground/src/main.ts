// The playground page: controls → URL hash → measurement in the page → plot, explanation and
// #gflow-state. Bundled by build.mjs (esbuild, one classic script, so the page works from disk).
import '@tensorflow/tfjs-backend-webgpu';
import { backendInfo, initBackend } from '@gflow/backend';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { choices, defaultConfig, type PlaygroundConfig, parseHash, ranges, toHash } from './config.js';
import { type Measurement, measure, measureAsync } from './measure.js';
import { explain, plotSvg } from './view.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function readControls(): PlaygroundConfig {
  const get = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id).value;
  const num = (id: keyof typeof ranges) => {
    const [lo, hi] = ranges[id];
    const n = Math.round(Number(get(id)));
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : defaultConfig[id];
  };
  return {
    family: get('family') as PlaygroundConfig['family'],
    activation: get('activation') as PlaygroundConfig['activation'],
    init: get('init') as PlaygroundConfig['init'],
    depth: num('depth'),
    width: num('width'),
    seed: num('seed'),
  };
}

function writeControls(c: PlaygroundConfig): void {
  for (const key of ['family', 'activation', 'init', 'depth', 'width', 'seed'] as const) {
    $<HTMLInputElement | HTMLSelectElement>(key).value = String(c[key]);
  }
}

function fillSelects(): void {
  for (const [key, list] of Object.entries(choices)) {
    const sel = $<HTMLSelectElement>(key);
    sel.innerHTML = list.map((v) => `<option value="${v}">${v}</option>`).join('');
  }
  for (const [key, [lo, hi]] of Object.entries(ranges)) {
    const input = $<HTMLInputElement>(key);
    input.min = String(lo);
    input.max = String(hi);
  }
}

let version = 0;

function render(m: Measurement, ms: number): void {
  $('plot').innerHTML = plotSvg(m);
  $('explanation').innerHTML = explain(m);
  $('timing').textContent = `measured in ${ms.toFixed(0)} ms on ${m.engine}`;
  $('gflow-state').textContent = JSON.stringify({ version, ...m });
}

async function update(fromHash: boolean): Promise<void> {
  let config: PlaygroundConfig;
  if (fromHash) {
    const { config: c, ignored } = parseHash(location.hash);
    config = c;
    writeControls(c);
    $('warnings').textContent = ignored.length > 0 ? `Ignored in the link: ${ignored.join('; ')}.` : '';
  } else {
    config = readControls();
    writeControls(config);
    $('warnings').textContent = '';
    if (location.hash !== toHash(config)) history.replaceState(null, '', toHash(config));
  }
  const t0 = performance.now();
  try {
    const engine = backendInfo()?.name ?? 'unknown';
    // webgpu: asynchronous reads (tfjs's synchronous webgpu read goes through a canvas).
    const m = engine === 'webgpu' ? await measureAsync(config, engine) : measure(config, engine);
    version += 1;
    render(m, performance.now() - t0);
  } catch (e) {
    $('warnings').textContent = `Could not measure: ${(e as Error).message}`;
  }
}

async function main(): Promise<void> {
  fillSelects();
  // The wasm files sit beside the page (build.mjs copies them); a page opened from disk cannot
  // fetch them, and initBackend then says so and moves on to cpu.
  setWasmPaths(new URL('./wasm/', location.href).href);
  const info = await initBackend();
  $('engine').textContent = `engine: ${info.name}${info.device ? ` (${info.device})` : ''}`;
  $('engine').title = info.tried.map((t) => `${t.name}: ${t.ok ? 'ok' : 'skipped'} — ${t.reason}`).join('\n');
  for (const id of ['family', 'activation', 'init', 'depth', 'width', 'seed']) {
    $(id).addEventListener('change', () => void update(false));
  }
  window.addEventListener('hashchange', () => void update(true));
  await update(true);
}

main().catch((e: unknown) => {
  $('warnings').textContent = `The playground could not start: ${(e as Error).message}`;
});

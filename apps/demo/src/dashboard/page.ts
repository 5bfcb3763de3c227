/**
 * The dashboard's one page: the runs table, the charts (Vega-Lite through the bundled
 * vega-embed, rendered as SVG) and the health findings. Everything it loads comes from the
 * dashboard server itself, so it works offline.
 */
import { clientMain } from './client.js';
import { recordRows } from './rows.js';

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #222; }
  header { display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0.8rem 0; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; border-bottom: 1px solid #ddd; }
  h3 { font-size: 0.95rem; margin: 0.6rem 0 0.2rem; }
  #status.live { color: #1a7f37; } #status.down { color: #b42318; }
  table { border-collapse: collapse; }
  th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
  th:nth-child(2), td.name { text-align: left; }
  td.err { color: #b42318; font-weight: bold; }
  li.error b { color: #b42318; } li.warning b { color: #b54708; } li.info b { color: #175cd3; }
  .remedy { color: #555; } .ok { color: #1a7f37; }
  .note { color: #666; font-size: 0.85rem; }
  .chart { overflow-x: auto; }
`;

/**
 * The page's HTML.
 *
 * @returns A complete HTML document.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>gflow dashboard</title>
<style>${STYLE}</style>
<script src="/vendor/vega.min.js"></script>
<script src="/vendor/vega-lite.min.js"></script>
<script src="/vendor/vega-embed.min.js"></script>
</head><body>
<header>
  <h1>gflow dashboard</h1>
  <span>status: <b id="status">connecting…</b></span>
  <span>steps: <b id="total-steps">0</b></span>
  <span class="note">log directory <code id="logdir"></code></span>
  <span>runs: <label><input type="radio" name="mode" id="mode-overlay" checked> overlay</label>
  <label><input type="radio" name="mode" id="mode-side"> side by side</label></span>
  <span><a href="/export" target="_blank">static export</a> (the report's format; <code>gflow dashboard --export DIR</code> writes it to a folder)</span>
  <span id="rendered" hidden></span>
</header>
<h2>Runs</h2>
<table><thead><tr><th>show</th><th>run</th><th>steps</th><th>last step</th><th>loss</th><th>‖g‖</th>
<th>learning rate</th><th>corrupt lines</th><th>findings</th></tr></thead><tbody id="runs-body"></tbody></table>
<h2>Loss, global gradient norm, learning rate; clip and guard events</h2>
<p class="note">One step axis for all three. Vertical rules: a clipping transform clipped (orange), the TrainingGuard acted (red), a non-finite step (purple).</p>
<div id="timeline" class="chart"></div>
<h2>Activation gradients: log₁₀‖∂L/∂h‖, layer × step</h2>
<p class="note">From the taps of each step (trainStep with taps, or watchFlow). Layers from input (top) to output. One colour scale for every run.</p>
<div id="taps" class="chart"></div>
<h2>Parameter gradients: log₁₀‖∂L/∂θ‖, parameter × step</h2>
<div id="params" class="chart"></div>
<h2>Update ratios ‖Δθ‖/‖θ‖ per parameter</h2>
<p class="note">Dashed: the healthy band 1e-4 to 1e-2 (CS231n).</p>
<div id="updates" class="chart"></div>
<h2>Histograms of log₁₀|g| over time</h2>
<div id="hist" class="chart"></div>
<h2>Health findings</h2>
<div id="findings"><p>Waiting for records…</p></div>
<script>window.gflowRecordRows = (${recordRows.toString()});</script>
<script>(${clientMain.toString()})();</script>
</body></html>
`;
}

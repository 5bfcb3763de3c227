import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binValues, coincidingSeries, heatmapPlot, histogramPlot, linePlot, renderSvg } from './plot.js';
import {
  type Report,
  removeActiveTempFolder,
  reportToHtml,
  writeFolderAtomically,
  writeReport,
} from './report.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plot = linePlot({
  id: 'p',
  caption: 'Two series <with> markup',
  data: [
    { block: 0, norm: 1e-6, net: 'plain' },
    { block: 1, norm: 1e-3, net: 'plain' },
    { block: 0, norm: 0.5, net: 'residual' },
    { block: 1, norm: 0.7, net: 'residual' },
    { block: 2, norm: 0, net: 'residual' }, // dropped from the log axis, kept in the data
  ],
  x: { field: 'block', title: 'block index (0 = input side)' },
  y: { field: 'norm', title: '‖∂L/∂h‖ (L2, log scale)', log: true },
  series: { field: 'net', title: 'network' },
  predicted: [
    { block: 0, norm: 1e-5, net: 'plain' },
    { block: 1, norm: 1e-4, net: 'plain' },
  ],
  rules: [{ x: 1, label: 'memory span' }],
});

describe('plots and report', () => {
  it('renders Vega-Lite to SVG with axis titles and a legend, without a browser', async () => {
    const svg = await renderSvg(plot);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('block index (0 = input side)');
    expect(svg).toContain('‖∂L/∂h‖ (L2, log scale)');
    expect(svg).toContain('network'); // legend title
    expect(svg).toContain('residual'); // legend entry
    expect(svg).toContain('memory span');
    expect(svg).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // every row is kept for results.json, the predictions flagged
    expect(plot.data).toHaveLength(7);
    expect(plot.data.filter((r) => r.predicted === true)).toHaveLength(2);
  });

  it('renders a heat map with a color legend', async () => {
    const cells = [0, 1].flatMap((i) =>
      [0, 1].map((j) => ({ sw: i, sw_end: i + 1, sb: j, sb_end: j + 1, xi: 1 + i + j })),
    );
    const svg = await renderSvg(
      heatmapPlot({
        id: 'h',
        caption: 'c',
        data: cells,
        x: { field: 'sw', title: 'σ_w² (weight variance)' },
        y: { field: 'sb', title: 'σ_b² (bias variance)' },
        value: { field: 'xi', title: 'ξ (layers)' },
        line: {
          data: [
            { sw: 0.5, sb: 0 },
            { sw: 1.5, sb: 2 },
          ],
          label: 'critical line',
        },
      }),
    );
    expect(svg).toContain('ξ (layers)');
    expect(svg).toContain('critical line');
  });

  it('names series that draw as one line: within 1% of the axis range at every shared x', () => {
    const rows = [
      // On a log axis spanning 1e-10..1 (10 decades), 1.03 vs 1.05 differ by 0.008 decades: one line.
      { x: 0, y: 1.03, s: 'orthogonal' },
      { x: 1, y: 1.03, s: 'orthogonal' },
      { x: 0, y: 1.05, s: 'unitary' },
      { x: 1, y: 1.05, s: 'unitary' },
      { x: 0, y: 1, s: 'vanilla' },
      { x: 1, y: 1e-10, s: 'vanilla' },
    ];
    expect(coincidingSeries(rows, 'x', 'y', 's', { log: true })).toEqual([['orthogonal', 'unitary']]);
    // Linearly the range is 1.05 − 1e-10 ≈ 1.05; 0.02 apart is 1.9% of it: drawn apart.
    expect(coincidingSeries(rows, 'x', 'y', 's')).toEqual([]);
    const plot2 = linePlot({
      id: 'c',
      caption: 'Cap.',
      data: rows,
      x: { field: 'x', title: 'x' },
      y: { field: 'y', title: 'y', log: true },
      series: { field: 's', title: 's' },
    });
    expect(plot2.caption).toContain('orthogonal and unitary coincide');
  });

  it('clips a prediction to the measured range and says so', () => {
    const p = linePlot({
      id: 'p2',
      caption: 'Cap.',
      data: [
        { t: 0, g: 1, m: 'a' },
        { t: 1, g: 2, m: 'a' },
      ],
      predicted: [
        { t: 0, g: 1, m: 'a' },
        { t: 1, g: 1e40, m: 'a' },
      ],
      x: { field: 't', title: 't' },
      y: { field: 'g', title: 'g', log: true },
      series: { field: 'm', title: 'm' },
    });
    const layers = (p.spec as { layer: { data: { values: unknown[] } }[] }).layer;
    expect(layers[1]?.data.values).toHaveLength(1); // the 1e40 point is not drawn
    expect(p.data).toHaveLength(4); // but kept for results.json
    expect(p.caption).toContain('drawn only inside the measured range');
  });

  it('bins values into equal bins whose fractions sum to 1, and draws histograms per panel', async () => {
    const bins = binValues([0, 0.1, 0.5, 0.9, 1, Number.NaN], 2);
    expect(bins).toEqual([
      { start: 0, end: 0.5, fraction: 2 / 5 },
      { start: 0.5, end: 1, fraction: 3 / 5 },
    ]);
    expect(binValues([], 3)).toEqual([]);
    const svg = await renderSvg(
      histogramPlot({
        id: 'h',
        caption: 'c',
        data: bins.map((b) => ({ panel: 'relu (dead units 0%)', v: b.start, v_end: b.end, f: b.fraction })),
        x: { field: 'v', title: 'activation value' },
        y: { field: 'f', title: 'fraction of entries' },
        facet: { field: 'panel', title: 'activation' },
      }),
    );
    expect(svg).toContain('relu (dead units 0%)');
    expect(svg).toContain('fraction of entries');
  });

  it('writes index.html and results.json atomically, replacing an older report', async () => {
    const out = join(dir, 'r');
    mkdirSync(out);
    writeFileSync(join(out, 'stale.txt'), 'old');
    const report: Report = {
      title: 'T',
      engine: { name: 'cpu', simd: false, threads: 1, fills: [] },
      quick: true,
      startedAt: '2026-01-01T00:00:00.000Z',
      seconds: 1,
      sections: [
        {
          id: 'a-x',
          title: 'a. X',
          status: 'ok',
          summary: ['Shows <x>.'],
          conclusion: ['So <x> holds.'],
          verdicts: [
            {
              claim: 'x is level',
              predicted: '1',
              measured: '0.5',
              verdict: 'differs',
              explanation: 'because y (Z 2020).',
            },
            { claim: 'z grows', predicted: '2', measured: '2.01', verdict: 'agrees', explanation: null },
          ],
          remedies: [{ problem: 'x vanishes', seen: 'a: 0.5', remedy: 'add skips', see: 'He 2016' }],
          command: 'gflow demo --sections a --quick --out gflow-report-a',
          findings: { ratio: 0.5, inf: Infinity },
          plots: [plot],
          seconds: 0.1,
          settings: { depth: 3 },
        },
        {
          id: 'b-y',
          title: 'b. Y',
          status: 'unavailable',
          reason: 'not available yet: @gflow/models does not export lstm',
          command: 'gflow demo --sections b --quick --out gflow-report-b',
        },
      ],
    };
    await writeReport(out, report);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'results.json']);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(json.sections['a-x'].plots[0].data).toHaveLength(7);
    expect(json.sections['a-x'].findings).toEqual({ ratio: 0.5, inf: 'Infinity' });
    expect(json.sections['b-y']).toEqual({
      title: 'b. Y',
      status: 'unavailable',
      reason: 'not available yet: @gflow/models does not export lstm',
      command: 'gflow demo --sections b --quick --out gflow-report-b',
    });
    // The summary: one row per verdict, in report order, and a "not run" row for the section that did not run.
    expect(json.summary.map((r: { section: string; verdict: string }) => [r.section, r.verdict])).toEqual([
      ['a-x', 'differs'],
      ['a-x', 'agrees'],
      ['b-y', 'not run'],
    ]);
    expect(json.summary[0]).toEqual({
      section: 'a-x',
      claim: 'x is level',
      predicted: '1',
      measured: '0.5',
      verdict: 'differs',
      explanation: 'because y (Z 2020).',
    });
    expect(json.remedies).toEqual([
      { section: 'a-x', problem: 'x vanishes', seen: 'a: 0.5', remedy: 'add skips', see: 'He 2016' },
    ]);
    expect(json.sections['a-x'].conclusion).toEqual(['So <x> holds.']);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('Shows &lt;x&gt;.');
    // The summary table comes before the first section; the conclusion and the command are in the section.
    expect(html.indexOf('id="summary"')).toBeGreaterThan(-1);
    expect(html.indexOf('id="summary"')).toBeLessThan(html.indexOf('<section id="a-x"'));
    expect(html).toContain('because y (Z 2020).');
    expect(html).toContain('So &lt;x&gt; holds.');
    expect(html).toContain('gflow demo --sections a --quick --out gflow-report-a');
    expect(html).toContain('Not in this report: not available yet: @gflow/models does not export lstm');
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|src="http/);
    // One figure (inline SVG and caption) per plot; the unavailable section has none.
    expect(html.match(/<figure /g)).toHaveLength(1);
    expect((await reportToHtml(report)).match(/<svg /g)).toHaveLength(1);
  });

  it('an interruption between writing and renaming (what Ctrl-C does) leaves no report and no temporary folder', async () => {
    const out = join(dir, 'interrupted');
    let removed: string | undefined;
    await expect(
      writeFolderAtomically(
        out,
        { 'index.html': '<p>x</p>', 'results.json': '{}' },
        {
          afterWrite: () => {
            removed = removeActiveTempFolder();
            throw new Error('interrupted');
          },
        },
      ),
    ).rejects.toThrow('interrupted');
    expect(removed).toMatch(/\.interrupted\.tmp-/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(removeActiveTempFolder()).toBeUndefined();
  });

  it('leaves neither a temporary folder nor a partial report when writing fails', async () => {
    const out = join(dir, 'fail');
    await expect(writeFolderAtomically(out, { 'ok.txt': 'x', 'no/such/dir.txt': 'y' })).rejects.toThrow();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

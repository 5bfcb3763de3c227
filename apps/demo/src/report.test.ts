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
import { heatmapPlot, linePlot, renderSvg } from './plot.js';
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
    });
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('Shows &lt;x&gt;.');
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

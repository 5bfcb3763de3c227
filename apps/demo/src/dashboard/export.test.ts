import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GflowIOError } from '@gflow/core';
import type { StepRecord } from '@gflow/diagnostics';
import { afterAll, describe, expect, it } from 'vitest';
import { exportDashboard } from './export.js';

const root = mkdtempSync(join(tmpdir(), 'gflow-dashboard-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (step: number, tap: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  step,
  time: 1_700_000_000_000 + 1000 * step,
  loss: 1 / (step + 1),
  globalNorm: 2,
  cosine: null,
  parameters: [{ name: 'w', gradNorm: 0.01, weightNorm: 1, ratio: 0.01, updateRatio: 1e-3 }],
  taps: [
    { name: 'h0', gradNorm: tap },
    { name: 'h1', gradNorm: 1 },
  ],
  finite: true,
  ...extra,
});
const lines = (rs: StepRecord[]) => rs.map((r) => `${JSON.stringify(r)}\n`).join('');

interface Results {
  engine: unknown;
  source: { logDir: string };
  sections: Record<
    string,
    {
      status: string;
      plots: { id: string; data: Record<string, unknown>[] }[];
      tables?: Record<string, Record<string, unknown>[]>;
    }
  >;
}

describe('gflow dashboard --export', () => {
  it("writes the runs in the report's format: a section per run, hand-checked numbers, findings with remedies", async () => {
    const logDir = join(root, 'logs');
    const out = join(root, 'out');
    rmSync(logDir, { recursive: true, force: true });
    mkdirSync(logDir);
    // run a: taps 0.1 and 1000 → log10 = -1 and 3; a clipped step; a corrupt line in the middle
    writeFileSync(
      join(logDir, 'a.jsonl'),
      `${lines([record(0, 0.1), record(1, 1000, { info: { 'clipByGlobalNorm.scale': 0.5 } })])}{"step": oops\n${lines([record(2, 10)])}`,
    );
    // run b: a guard event and a non-finite step
    writeFileSync(
      join(logDir, 'b.jsonl'),
      lines([
        record(0, 1),
        record(1, 1, { finite: false, loss: Number.NaN, guard: { action: 'skip', reason: 'non-finite' } }),
      ]).replace('"loss":null', '"loss":"NaN"'),
    );
    expect(await exportDashboard(logDir, out)).toBe(2);

    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(Object.keys(res.sections)).toEqual(['runs', 'run-a', 'run-b']);
    expect(res.engine).toBeNull();
    const a = res.sections['run-a'];
    const taps = a?.plots.find((p) => p.id === 'taps')?.data ?? [];
    const h0 = taps.filter((c) => c.layer === 'h0').map((c) => c.value);
    expect(h0[0]).toBeCloseTo(-1, 14);
    expect(h0[1]).toBeCloseTo(3, 14);
    expect(h0[2]).toBeCloseTo(1, 14);
    // cells one step wide, one layer high
    expect(taps[0]).toMatchObject({ step: 0, step_end: 1, index: 0, index_end: 1 });
    expect(a?.tables?.['Clip, guard and non-finite events']).toEqual([
      { step: 1, kind: 'clip', detail: 'clipByGlobalNorm scale 0.5' },
    ]);
    const runsTable = res.sections.runs?.tables?.Runs ?? [];
    expect(runsTable.map((r) => [r.run, r.steps, r['corrupt lines skipped']])).toEqual([
      ['a', 3, 1],
      ['b', 2, 0],
    ]);
    const b = res.sections['run-b'];
    expect(b?.tables?.['Clip, guard and non-finite events']?.map((e) => e.kind)).toEqual([
      'guard',
      'non-finite',
    ]);
    const findings = b?.tables?.['Health findings'] ?? [];
    expect(findings.some((f) => f.kind === 'non-finite')).toBe(true);
    for (const f of findings) expect(String(f.remedy).length).toBeGreaterThan(0);

    const html = readFileSync(join(out, 'index.html'), 'utf8');
    // run a's last record: loss 1/3, ‖g‖ 2, one clipped step; numbers to 3 significant digits
    expect(html).toContain('3 steps (last step 2); last loss 0.333, last ‖g‖ 2. 1 step clipped');
    expect(html).toContain(`Exported by gflow dashboard from <code>${logDir}</code>: 2 runs`);
    expect(html).not.toContain('Engine:');
    expect(html).not.toContain('<script');
    for (const id of ['runs-loss', 'run-a-taps', 'run-a-params', 'run-a-update-ratios', 'run-b-global-norm'])
      expect(html).toContain(`<figure id="${id}"><svg`);
  });

  it('a log directory that does not exist is a GflowIOError naming it', async () => {
    const missing = join(root, 'no-such-dir');
    await expect(exportDashboard(missing, join(root, 'out2'))).rejects.toThrow(GflowIOError);
    await expect(exportDashboard(missing, join(root, 'out2'))).rejects.toThrow(
      /cannot read the log directory .*no-such-dir/,
    );
  });
});

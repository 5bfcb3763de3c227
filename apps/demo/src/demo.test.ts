import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, SECTIONS } from './demo.js';

const dir = mkdtempSync(join(tmpdir(), 'gflow-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gflow demo --quick', () => {
  it('writes results.json with every section, measured, and an index.html with a figure per plot; no tensors leak', async () => {
    const out = join(dir, 'report');
    const before = tf.engine().backendName ? tf.memory().numTensors : 0;
    const report = await runDemo({ quick: true, out, sections: undefined, engine: 'auto' }, { quiet: true });
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(Object.keys(json.sections)).toEqual(SECTIONS.map((s) => s.id));
    for (const s of SECTIONS) {
      const sec = json.sections[s.id];
      expect(sec.status, `${s.id}: ${sec.reason ?? ''}`).toBe('ok');
      expect(sec.plots.length).toBeGreaterThan(0);
      for (const p of sec.plots) expect(p.data.length).toBeGreaterThan(0);
      expect(sec.summary.join(' ')).toMatch(/\d/);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const plots = report.sections.reduce((n, s) => n + (s.status === 'ok' ? s.plots.length : 0), 0);
    expect(html.match(/<figure /g)?.length).toBe(plots);
    expect(html.match(/<svg /g)?.length).toBe(plots);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});

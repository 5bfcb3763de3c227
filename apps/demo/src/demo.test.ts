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
      // Every section ends with a conclusion from its numbers and names the command that reproduces it.
      expect(sec.conclusion.length).toBeGreaterThan(0);
      expect(sec.conclusion.join(' ')).toMatch(/\d/);
      expect(sec.command).toBe(`gflow demo --sections ${s.id[0]} --quick --out gflow-report-${s.id[0]}`);
    }
    // The summary: at least one row per section, every row with a verdict, every "differs" explained with a paper.
    const summary = json.summary as {
      section: string;
      claim: string;
      predicted: string;
      measured: string;
      verdict: string;
      explanation: string | null;
    }[];
    expect(new Set(summary.map((r) => r.section))).toEqual(new Set(SECTIONS.map((s) => s.id)));
    for (const r of summary) {
      expect(['agrees', 'differs']).toContain(r.verdict);
      expect(r.claim.length * r.predicted.length * r.measured.length).toBeGreaterThan(0);
      if (r.verdict === 'differs') expect(r.explanation).toMatch(/(19|20)\d\d/);
      else expect(r.explanation).toBeNull();
    }
    // Section e: the unclipped, unguarded run diverges or stays at or above the trivial baseline;
    // every clipped run ends at most at half of it (same seed, same learning rate).
    const e = json.sections['e-clipping'].findings as {
      baselineLoss: number;
      runs: {
        name: string;
        transform: string;
        guarded: boolean;
        finalLoss: number | null;
        diverged: boolean;
      }[];
    };
    expect(e.baselineLoss).toBeCloseTo(1 / 6, 15); // Var(U + U) = 2/12 for two U(0, 1) draws
    const plain = e.runs.filter((r) => r.transform === 'none' && !r.guarded);
    const clipped = e.runs.filter((r) => r.transform !== 'none' && !r.guarded);
    expect(plain).toHaveLength(1);
    expect(clipped.length).toBeGreaterThanOrEqual(2);
    expect(plain[0]?.diverged || (plain[0]?.finalLoss ?? 0) >= e.baselineLoss).toBe(true);
    for (const r of clipped) {
      expect(r.diverged, r.name).toBe(false);
      expect(r.finalLoss, r.name).toBeLessThanOrEqual(0.5 * e.baselineLoss);
    }
    expect(e.runs.filter((r) => r.guarded && r.transform === 'none')).toHaveLength(1);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const plots = report.sections.reduce((n, s) => n + (s.status === 'ok' ? s.plots.length : 0), 0);
    expect(html.match(/<figure /g)?.length).toBe(plots);
    expect(html.match(/<svg /g)?.length).toBe(plots);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});

/**
 * The sweep's worker (run by tinypool in a worker thread): starts its own engine once, then
 * measures one grid cell per call with `measureGradientFlow` and returns plain numbers.
 */

import { measureGradientFlow } from '@gflow/diagnostics';
import { startEngine } from './backend-command.js';
import { buildModel, randomBatch } from './build-model.js';
import type { EngineFlag } from './program.js';
import { blockIndex } from './sections/measure.js';
import type { SweepTask } from './sweep.js';
import { applyVariances } from './variance-init.js';

let engine: Promise<unknown> | undefined;
let engineName: EngineFlag | undefined;

/** What a cell's measurement returns (plain numbers from @gflow/diagnostics' FlowReport). */
export interface CellResult {
  /** Engine used by this worker. */
  readonly engine: string;
  /** Loss on the random batch. */
  readonly loss: number;
  /** ‖∂L/∂h_i‖ per block, block 0 first. */
  readonly blockGradNorms: readonly (number | null)[];
  /** ‖∂L/∂h_0‖ / ‖∂L/∂h_{L−1}‖. */
  readonly firstOverLast: number | null;
  /** ‖g‖ over every parameter. */
  readonly globalNorm: number;
  /** The diagnosis, one `severity:kind` entry per distinct finding kind, with its count. */
  readonly diagnosis: Readonly<Record<string, number>>;
}

/**
 * Measures one cell with `measureGradientFlow` on a seeded random batch of 16.
 *
 * @param task - The cell and engine.
 * @returns Plain numbers.
 */
export default async function measureCell(task: SweepTask): Promise<CellResult> {
  if (!engine || engineName !== task.engine) {
    engineName = task.engine;
    engine = startEngine(task.engine);
  }
  const info = (await engine) as { name: string };
  const { model, inputShape } = buildModel(task.cell);
  const { x, y } = randomBatch(inputShape, 16, task.cell.seed);
  try {
    applyVariances(model, task.cell);
    const r = measureGradientFlow(model, { inputs: x, targets: y, loss: 'meanSquaredError' });
    const blocks: (number | null)[] = [];
    for (const t of r.taps) {
      const i = blockIndex(t.name);
      if (i >= 0) blocks[i] = t.gradNorm;
    }
    const first = blocks[0] ?? null;
    const last = blocks[blocks.length - 1] ?? null;
    const diagnosis: Record<string, number> = {};
    for (const f of r.diagnosis)
      diagnosis[`${f.severity}:${f.kind}`] = (diagnosis[`${f.severity}:${f.kind}`] ?? 0) + 1;
    return {
      engine: info.name,
      loss: r.loss,
      blockGradNorms: blocks,
      firstOverLast: first !== null && last !== null && last > 0 ? first / last : null,
      globalNorm: r.globalNorm,
      diagnosis,
    };
  } finally {
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

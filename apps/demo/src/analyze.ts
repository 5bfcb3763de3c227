/**
 * `gflow analyze`: the flow report (@gflow/diagnostics' `measureGradientFlow`) and its diagnosis
 * for one model, built from flags or read from a saved tfjs LayersModel, on seeded random data.
 */
import { GflowError, UnsupportedError } from '@gflow/core';
import { type FlowReport, measureGradientFlow, nonFiniteReplacer } from '@gflow/diagnostics';
import { fromLayersModel, type Model } from '@gflow/models';
import { loadModelFromFile } from '@gflow/models/node';
import * as tf from '@tensorflow/tfjs';
import { startEngine } from './backend-command.js';
import { buildModel, lossName, randomBatch, randomTargets } from './build-model.js';
import { shortenLists } from './cli-error.js';
import type { AnalyzeOptions, FailOn, LossFlag } from './program.js';
import { fmt } from './sections/measure.js';

/** What `analyze --json` prints. */
export interface AnalyzeResult {
  /** Where the model came from. */
  readonly source:
    | { readonly kind: 'flags'; readonly flags: Record<string, unknown> }
    | { readonly kind: 'file'; readonly path: string };
  /** Engine name. */
  readonly engine: string;
  /** Shape of the random input batch. */
  readonly inputShape: readonly number[];
  /** Shape of the random targets. */
  readonly targetShape: readonly number[];
  /** The loss measured (`--loss`). */
  readonly loss: LossFlag;
  /** The flow report. */
  readonly report: FlowReport;
}

function concreteShape(
  shape: readonly (number | null)[],
  batch: number,
  what: string,
  path: string,
): number[] {
  return shape.map((d, i) => {
    if (i === 0) return batch;
    if (d === null || d === undefined) {
      throw new UnsupportedError(
        `analyze: the ${what} shape of ${path} is [${shape.map((s) => s ?? 'null').join(', ')}]; only the batch dimension may be unknown, so random data cannot be made for it`,
      );
    }
    return d;
  });
}

/**
 * Measures one model. Tensors made here are disposed before returning; a model read from a file
 * is disposed too.
 *
 * @param o - Parsed command-line options.
 * @returns Plain data.
 */
export async function analyze(o: AnalyzeOptions): Promise<AnalyzeResult> {
  const info = await startEngine(o.engine);
  const loss = o.loss ?? 'mse';
  if (o.kind === 'flags') {
    const { model, inputShape } = buildModel(o.model);
    const { x, y } = randomBatch(inputShape, o.batch, o.model.seed, { arch: o.model.arch, loss });
    try {
      const report = measureGradientFlow(model, {
        inputs: x,
        targets: y,
        loss: lossName(loss),
        ...(o.lr === undefined ? {} : { learningRate: o.lr }),
      });
      return {
        source: { kind: 'flags', flags: { ...o.model } },
        engine: info.name,
        inputShape: x.shape,
        targetShape: y.shape,
        loss,
        report,
      };
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  }
  const layers = await loadModelFromFile(o.path);
  let module: Model | undefined;
  const made: tf.Tensor[] = [];
  try {
    if (layers.inputs.length !== 1 || layers.outputs.length !== 1) {
      throw new UnsupportedError(
        `analyze: ${o.path} has ${layers.inputs.length} inputs and ${layers.outputs.length} outputs; models with one input and one output can be analyzed`,
      );
    }
    const inShape = concreteShape(layers.inputs[0]?.shape ?? [], o.batch, 'input', o.path);
    const outShape = concreteShape(layers.outputs[0]?.shape ?? [], o.batch, 'output', o.path);
    module = fromLayersModel(layers);
    const x = tf.randomNormal(inShape, 0, 1, 'float32', 1);
    made.push(x);
    const y = randomTargets(outShape, loss, 2);
    made.push(y);
    let report: FlowReport;
    try {
      report = measureGradientFlow(module, {
        inputs: x,
        targets: y,
        loss: lossName(loss),
        ...(o.lr === undefined ? {} : { learningRate: o.lr }),
      });
    } catch (e) {
      if (e instanceof GflowError) throw e;
      throw new UnsupportedError(
        `analyze: ${o.path} loaded, but one backward pass on random N(0,1) data of shape [${inShape.join(', ')}] failed: ${shortenLists(((e as Error)?.message ?? String(e)).replace(/\s+/g, ' '))}`,
        { cause: e },
      );
    }
    return {
      source: { kind: 'file', path: o.path },
      engine: info.name,
      inputShape: inShape,
      targetShape: outShape,
      loss,
      report,
    };
  } finally {
    tf.dispose(made);
    module?.dispose();
    layers.dispose();
  }
}

const TARGETS: Record<LossFlag, string> = {
  mse: 'N(0,1)',
  'softmax-cross-entropy': 'one-hot',
  'sigmoid-cross-entropy': '0/1',
};
const LOSS_TEXT: Record<LossFlag, string> = {
  mse: 'mean squared error',
  'softmax-cross-entropy': 'softmax cross-entropy',
  'sigmoid-cross-entropy': 'sigmoid cross-entropy',
};

/** Formats an analysis as text: taps, the parameters with the extreme ratios, the diagnosis. */
export function formatAnalysis(r: AnalyzeResult): string {
  const rep = r.report;
  const src =
    r.source.kind === 'file'
      ? r.source.path
      : Object.entries(r.source.flags)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
  const lines = [
    `model: ${rep.model} (${src})`,
    `engine: ${r.engine}; random N(0,1) inputs [${r.inputShape.join(', ')}], ${TARGETS[r.loss]} targets [${r.targetShape.join(', ')}], ${LOSS_TEXT[r.loss]}`,
    `loss ${fmt(rep.loss)}, global gradient norm ${fmt(rep.globalNorm)}, ${rep.parameters.length} parameters, ${rep.taps.length} taps`,
    '',
    'gradient norm per tap (‖∂L/∂h‖, and relative to the last tap):',
  ];
  const taps = rep.taps;
  const show =
    taps.length <= 24
      ? taps.map((_, i) => i)
      : [...new Set(Array.from({ length: 20 }, (_, k) => Math.round((k * (taps.length - 1)) / 19)))];
  const w = Math.max(...show.map((i) => taps[i]?.name.length ?? 0), 4);
  for (const i of show) {
    const t = taps[i];
    if (!t) continue;
    // null: no gradient reached the tap (the report says why); 0: every element is exactly 0.
    if (t.gradNorm === null)
      lines.push(`  ${t.name.padEnd(w)}  ${'—'.padStart(8)}  ${t.noGradient ?? 'no gradient'}`);
    else lines.push(`  ${t.name.padEnd(w)}  ${fmt(t.gradNorm).padStart(8)}  ×${fmt(t.ratioToLast)}`);
  }
  if (show.length < taps.length) lines.push(`  (${taps.length - show.length} more taps in --json)`);
  const withRatio = rep.parameters.filter((p) => p.ratio !== null);
  if (withRatio.length > 0) {
    const sorted = [...withRatio].sort((a, b) => (a.ratio as number) - (b.ratio as number));
    const lo = sorted[0];
    const hi = sorted[sorted.length - 1];
    lines.push('', 'parameters, gradient-to-weight ratio ‖∂L/∂θ‖/‖θ‖:');
    if (lo) lines.push(`  smallest: ${lo.name} ${fmt(lo.ratio)}`);
    if (hi) lines.push(`  largest:  ${hi.name} ${fmt(hi.ratio)}`);
  }
  lines.push('', 'diagnosis:');
  if (rep.diagnosis.length === 0) lines.push('  healthy: no finding crossed its threshold');
  // Errors in full; per-parameter findings can number in the hundreds, so a few warnings and
  // infos of each kind are shown and the rest counted (all of them are in --json).
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...rep.diagnosis].sort((a, b) => rank[a.severity] - rank[b.severity]);
  const shownPerKind = new Map<string, number>();
  let hidden = 0;
  for (const f of sorted) {
    const n = shownPerKind.get(f.kind) ?? 0;
    if ((f.severity === 'info' && n >= 3) || (f.severity === 'warning' && n >= 5)) {
      hidden += 1;
      continue;
    }
    shownPerKind.set(f.kind, n + 1);
    lines.push(`  [${f.severity}] ${f.message}`, `      remedy: ${f.remedy}`);
  }
  if (hidden > 0) lines.push(`  (${hidden} more findings of the kinds above; all are in --json)`);
  return lines.join('\n');
}

/**
 * The exit code of `gflow analyze` for a diagnosis: 2 when it has a finding at least as severe
 * as `failOn` (`error`: an error; `warning`: a warning or an error; `never`: none), else 0.
 *
 * @param diagnosis - The findings of the flow report.
 * @param failOn - The least severe finding that fails.
 * @returns 0 or 2.
 */
export function analyzeExitCode(diagnosis: FlowReport['diagnosis'], failOn: FailOn): 0 | 2 {
  if (failOn === 'never') return 0;
  const failing = failOn === 'warning' ? ['error', 'warning'] : ['error'];
  return diagnosis.some((f) => failing.includes(f.severity)) ? 2 : 0;
}

/**
 * Runs `gflow analyze`: prints the analysis, and sets the process's exit code to 2 (with a line
 * on stderr saying why) when the diagnosis has a finding at the `--fail-on` level.
 *
 * @param o - Parsed command-line options.
 * @returns The exit code it set: 0 or 2.
 */
export async function analyzeCommand(o: AnalyzeOptions): Promise<0 | 2> {
  const r = await analyze(o);
  console.log(o.json ? JSON.stringify(r, nonFiniteReplacer, 2) : formatAnalysis(r));
  const failOn = o.failOn ?? 'error';
  const code = analyzeExitCode(r.report.diagnosis, failOn);
  if (code !== 0) {
    const worse = failOn === 'warning' ? ['error', 'warning'] : ['error'];
    const k = r.report.diagnosis.filter((f) => worse.includes(f.severity)).length;
    process.stderr.write(
      `gflow: analyze: exit code 2, because the diagnosis has ${k} ${k === 1 ? 'finding' : 'findings'} of severity ${failOn}${failOn === 'error' ? '' : ' or worse'} (--fail-on ${failOn}; --fail-on never always exits 0).\n`,
    );
    process.exitCode = code;
  }
  return code;
}

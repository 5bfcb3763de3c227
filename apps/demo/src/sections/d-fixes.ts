/**
 * Section d. Architecture fixes: the mean transform gate per layer of a highway network (at
 * initialization and after a short training run), and gradient norms per sublayer of pre-norm
 * vs post-norm transformer stacks at depth 24.
 */
import { createTrainState, disposeTrainState, trainStep } from '@gflow/diagnostics';
import { highwayMLP, type Model, transformerStack } from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import { heatmapPlot, linePlot, type Row } from '../plot.js';
import { blockIndex, fmt, measureTaps, normal, tapsOnlyMonitor } from './measure.js';
import type { SectionDef } from './section.js';

/**
 * Mean transform gate T_i = σ(h_{i−1}W_T + b_T) of every block of a highway MLP on a batch.
 * The block inputs are read through the model's own taps (`blocks.<i>`); block 0 reads the stem
 * output φ(xW₀ + b₀), computed from the documented `stem.kernel` and `stem.bias` parameters.
 */
function meanGates(model: Model, x: tf.Tensor, depth: number): number[] {
  const params = new Map(model.parameters().map((p) => [p.name, p.variable]));
  // The model's apply runs in its own tidy, so the taps keep copies (disposed below).
  const taps = new Map<string, tf.Tensor>();
  let v: tf.Tensor;
  try {
    v = tf.tidy(() => {
      tf.dispose(
        model.apply(x, {
          training: false,
          tap: (name, t) => {
            taps.set(name, tf.keep(tf.clone(t)));
            return t;
          },
        }),
      );
      const stemK = params.get('stem.kernel');
      const stemB = params.get('stem.bias');
      if (!stemK || !stemB) throw new Error('highwayMLP: expected stem.kernel and stem.bias parameters');
      const means: tf.Tensor[] = [];
      for (let i = 0; i < depth; i++) {
        const h =
          i === 0
            ? tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, stemK as tf.Tensor2D), stemB))
            : taps.get(`blocks.${i - 1}`);
        const k = params.get(`blocks.${i}.gate.kernel`);
        const b = params.get(`blocks.${i}.gate.bias`);
        if (!h || !k || !b) throw new Error(`highwayMLP: block ${i} has no gate parameters or input tap`);
        means.push(tf.mean(tf.sigmoid(tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), b))));
      }
      return tf.stack(means);
    });
  } finally {
    tf.dispose([...taps.values()]);
  }
  const out = Array.from(v.dataSync());
  v.dispose();
  return out;
}

/** Section d. */
export const section: SectionDef = {
  id: 'd-fixes',
  title: 'd. Architecture fixes: highway gates, pre- vs post-norm',
  steps: () => 4,
  run: async ({ quick, progress }) => {
    const hwDepth = quick ? 10 : 20;
    const steps = quick ? 40 : 150;
    const tDepth = quick ? 8 : 24;
    const settings = {
      highway: {
        depth: hwDepth,
        width: 32,
        inputSize: 8,
        outputSize: 4,
        activation: 'relu',
        init: 'he',
        gateBias: -2,
        seed: 6,
      } as const,
      training: `${steps} Adam steps (lr 0.01) on a fixed batch of 128 teacher outputs y = tanh(xA)B`,
      transformer: {
        depth: tDepth,
        width: 32,
        heads: 4,
        inputSize: 8,
        outputSize: 8,
        sequence: 16,
        batch: 4,
        seed: 8,
      },
    };
    const gateRows: Row[] = [];
    const heatRows: Row[] = [];
    const findings: Record<string, number | null> = {};
    // Highway network: gates at initialization, then after training.
    progress.task('d: highway gates');
    const model = highwayMLP({ ...settings.highway });
    const x = normal([128, 8], 61);
    const A = normal([8, 16], 62);
    const B = normal([16, 4], 63);
    const y = tf.tidy(() => tf.matMul(tf.tanh(tf.matMul(x, A)), B));
    const opt = tf.train.adam(0.01);
    try {
      const g0 = meanGates(model, x, hwDepth);
      g0.forEach((g, layer) => {
        gateRows.push({ layer, gate: g, stage: 'at initialization' });
      });
      progress.tick(1, 'd: training the highway net');
      // trainStep with the monitor's taps: the same Adam step on mean((ŷ − y)²), and ‖∂L/∂h‖ at
      // every block for the heat map.
      const monitor = tapsOnlyMonitor();
      let loss0 = Number.NaN;
      let lossN = Number.NaN;
      const state = createTrainState();
      try {
        for (let s = 0; s < steps; s++) {
          const r = trainStep(model, { inputs: x, targets: y }, state, {
            optimizer: opt,
            loss: 'meanSquaredError',
            monitor,
            taps: true,
          });
          if (r.loss !== null) {
            if (s === 0) loss0 = r.loss;
            lossN = r.loss;
          }
          for (const t of r.record?.taps ?? []) {
            const i = blockIndex(t.name);
            const g = t.gradNorm;
            if (i >= 0)
              heatRows.push({ step: s, block: i, log10Grad: g !== null && g > 0 ? Math.log10(g) : null });
          }
          if (s % 20 === 0) await tf.nextFrame();
        }
      } finally {
        disposeTrainState(state);
        monitor.dispose();
      }
      const g1 = meanGates(model, x, hwDepth);
      g1.forEach((g, layer) => {
        gateRows.push({ layer, gate: g, stage: `after ${steps} Adam steps` });
      });
      findings.highwayGateMeanInit = g0.reduce((a, b) => a + b, 0) / g0.length;
      findings.highwayGateMinTrained = Math.min(...g1);
      findings.highwayGateMaxTrained = Math.max(...g1);
      const ratioAt = (step: number): number | null => {
        const g = (b: number) => heatRows.find((r) => r.step === step && r.block === b)?.log10Grad;
        const a = g(0);
        const z = g(hwDepth - 1);
        return typeof a === 'number' && typeof z === 'number' ? 10 ** (a - z) : null;
      };
      findings.highwayFirstOverLastStart = ratioAt(0);
      findings.highwayFirstOverLastEnd = ratioAt(steps - 1);
      findings.highwayLossStart = loss0;
      findings.highwayLossEnd = lossN;
    } finally {
      opt.dispose();
      model.dispose();
      tf.dispose([x, A, B, y]);
    }
    progress.tick(1, 'd: transformers');
    await tf.nextFrame();

    // Transformers: gradient norm per sublayer, pre- vs post-norm.
    const subRows: Row[] = [];
    const t = settings.transformer;
    const tx = normal([t.batch, t.sequence, t.inputSize], 71);
    const ty = normal([t.batch, t.sequence, t.outputSize], 72);
    try {
      for (const norm of ['pre', 'post'] as const) {
        progress.task(`d: ${norm}-norm transformer, ${tDepth} layers`);
        const tm = transformerStack({
          depth: tDepth,
          width: t.width,
          heads: t.heads,
          inputSize: t.inputSize,
          outputSize: t.outputSize,
          norm,
          seed: t.seed,
        });
        try {
          const m = measureTaps(tm, tx, ty);
          const norms: number[] = [];
          for (const tap of m.taps) {
            const mt = /^layers\.(\d+)\.(attn|mlp)$/.exec(tap.name);
            if (!mt) continue;
            const sub = 2 * Number(mt[1]) + (mt[2] === 'mlp' ? 1 : 0);
            subRows.push({
              norm: `${norm}-norm`,
              sublayer: sub,
              layer: Number(mt[1]),
              kind: mt[2] as string,
              gradNorm: tap.gradNorm,
            });
            if (tap.gradNorm !== null) norms[sub] = tap.gradNorm;
          }
          const first = norms[0];
          const last = norms[norms.length - 1];
          findings[`${norm}Norm_firstOverLast`] = first !== undefined && last ? first / last : null;
          findings[`${norm}Norm_maxOverMin`] =
            norms.length > 0
              ? Math.max(...norms.filter(Number.isFinite)) / Math.min(...norms.filter(Number.isFinite))
              : null;
        } finally {
          tm.dispose();
        }
        progress.tick(1, `d: ${norm}-norm done`);
        await tf.nextFrame();
      }
    } finally {
      tx.dispose();
      ty.dispose();
    }
    const gate0 = findings.highwayGateMeanInit ?? null;
    const sig2 = 1 / (1 + Math.exp(2));
    const pre = findings.preNorm_firstOverLast ?? null;
    const post = findings.postNorm_firstOverLast ?? null;
    const preOk = pre !== null && pre >= 1 && pre <= 100;
    return {
      settings,
      findings,
      conclusion: [
        `The highway net starts carrying: its mean gate is ${fmt(gate0)} (σ(−2) = ${fmt(sig2)} at a zero input to the gate), so every block passes most of its input through (Srivastava et al. 2015), and the first block receives ${fmt(findings.highwayFirstOverLastStart)} × the last block's gradient at the first step (${fmt(findings.highwayFirstOverLastStart != null && findings.highwayFirstOverLastStart > 0 ? findings.highwayFirstOverLastStart ** (1 / (hwDepth - 1)) : null)} per block). Training opens the gates where the task needs a transform: after ${steps} steps they range from ${fmt(findings.highwayGateMinTrained)} to ${fmt(findings.highwayGateMaxTrained)}, and the loss fell from ${fmt(findings.highwayLossStart)} to ${fmt(findings.highwayLossEnd)}. At the last step the first block's gradient is ${fmt(findings.highwayFirstOverLastEnd)} × the last block's (the heat map shows every step).`,
        `Pre-norm vs post-norm: the first sublayer's gradient is ${fmt(pre)} × the last's in the pre-norm stack and ${fmt(post)} × in the post-norm one. In pre-norm the residual stream is a pure sum, so every sublayer receives the output's gradient plus every later branch's contribution: the rise toward the input is benign and bounded, and no sublayer gets less than the output (Xiong et al. 2020). Post-norm puts a LayerNorm on the main path after every sublayer; at initialization this stream looks flat, but the normalization divides the gradient through every later layer, and post-norm stacks need learning-rate warm-up to train while pre-norm stacks do not (Xiong et al. 2020). Reading: pre-norm is the healthier default for deep stacks; a flat post-norm profile at initialization is not evidence against that.`,
      ],
      verdicts: [
        {
          claim: 'Highway gates with bias −2 start mostly carrying (mean gate < ½)',
          predicted: `≈ σ(−2) = ${fmt(sig2)} (Srivastava et al. 2015)`,
          measured: fmt(gate0),
          verdict: gate0 !== null && gate0 < 0.5 ? ('agrees' as const) : ('differs' as const),
          explanation:
            gate0 !== null && gate0 < 0.5
              ? null
              : 'the gate pre-activations hW_T are wide enough to push many gates open (Srivastava et al. 2015).',
        },
        {
          claim: `Pre-norm transformer: every sublayer gets at least the output's gradient, bounded (first/last in [1, 100])`,
          predicted: '≥ 1 and bounded (identity residual stream; Xiong et al. 2020)',
          measured: `pre-norm ${fmt(pre)} (post-norm ${fmt(post)})`,
          verdict: preOk ? ('agrees' as const) : ('differs' as const),
          explanation: preOk
            ? null
            : 'the attention branches at this width add more than the identity path carries (Xiong et al. 2020).',
        },
      ],
      remedies: [
        {
          problem: 'post-norm transformers train only with warm-up',
          seen: `d: post-norm first/last ${fmt(post)} vs pre-norm ${fmt(pre)}`,
          remedy: 'use pre-norm (LayerNorm inside the residual branch), or warm the learning rate up',
          see: 'Xiong et al. 2020',
        },
      ],
      summary: [
        `The first plot shows the mean transform gate T of each block of a ${hwDepth}-block highway MLP (gate bias −2, so blocks start by carrying their input) at initialization and after ${steps} Adam steps on a teacher task; the second shows ‖∂L/∂h‖ at the output of every attention and MLP sublayer of ${tDepth}-layer pre-norm and post-norm transformer stacks.`,
        `Measured: the mean gate starts at ${fmt(findings.highwayGateMeanInit)} and after training ranges from ${fmt(findings.highwayGateMinTrained)} to ${fmt(findings.highwayGateMaxTrained)} across layers (loss ${fmt(findings.highwayLossStart)} → ${fmt(findings.highwayLossEnd)}). First sublayer's gradient over the last's: pre-norm ${fmt(findings.preNorm_firstOverLast)}, post-norm ${fmt(findings.postNorm_firstOverLast)}.`,
      ],
      plots: [
        linePlot({
          id: 'highway-gates',
          caption: `Mean transform gate T (fraction of each block's output taken from its transform H rather than carried) per block of a ${hwDepth}-block highway MLP, averaged over units and a batch of 128.`,
          data: gateRows,
          x: { field: 'layer', title: 'block i (0 = nearest the input)' },
          y: { field: 'gate', title: 'mean transform gate T (0 = carry, 1 = transform)', domain: [0, 1] },
          series: { field: 'stage', title: 'when' },
        }),
        heatmapPlot({
          id: 'highway-training-heatmap',
          caption: `log₁₀‖∂L/∂h_i‖ at the output of every block i of the highway MLP at every one of its ${steps} Adam steps (blank: no gradient or zero). A dark band at the bottom would mean the first blocks stop receiving gradient.`,
          data: heatRows,
          x: { field: 'step', title: 'training step' },
          y: { field: 'block', title: 'block i (0 = nearest the input)' },
          value: { field: 'log10Grad', title: 'log₁₀‖∂L/∂h_i‖' },
          unitCells: true,
        }),
        linePlot({
          id: 'transformer-sublayers',
          caption: `Gradient norm at the output of each sublayer (attention 2i, MLP 2i+1) of ${tDepth}-layer transformer stacks (width ${t.width}, ${t.heads} heads, sequence ${t.sequence}); log scale.`,
          data: subRows,
          x: { field: 'sublayer', title: 'sublayer index (2i = attention, 2i+1 = MLP of layer i)' },
          y: { field: 'gradNorm', title: '‖∂L/∂h‖ (L2 norm, log scale)', log: true },
          series: { field: 'norm', title: 'norm placement' },
        }),
      ],
    };
  },
};

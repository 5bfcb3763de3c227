import { describeValue, InvalidArgumentError, UnsupportedError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type RecurrentPlan, recurrentPlan, runRecurrent } from './internal/layers-recurrent.js';
import { checkShape } from './internal/validate.js';
import type { Model } from './model.js';
import { type Context, identityContext, type Parameter, type ParameterRole } from './module.js';

/** The parts of tfjs-layers' graph classes this adapter reads. */
interface GraphNode {
  readonly inputTensors: readonly SymTensor[];
  readonly inputMasks?: readonly unknown[];
}
interface GraphLayer {
  readonly name: string;
  readonly inboundNodes: readonly GraphNode[];
  getClassName(): string;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  readonly trainableWeights: readonly { readonly originalName: string; read(): tf.Tensor }[];
}
interface SymTensor {
  readonly sourceLayer: GraphLayer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
  readonly shape: readonly (number | null)[];
}

function roleOf(short: string): ParameterRole {
  const s = short.toLowerCase();
  if (s.includes('recurrent')) return 'recurrent';
  if (s.includes('kernel')) return 'kernel';
  if (s.includes('gamma') || s.includes('beta')) return 'norm';
  if (s.includes('bias')) return 'bias';
  return 'other';
}

/**
 * Whether a mask can reach a node: tfjs computes masks while it runs (kwargs.mask), not in the
 * symbolic graph, so the node's inputs are followed upstream to a `Masking` layer or an
 * `Embedding` with `maskZero`.
 */
function producesMask(node: GraphNode, seen = new Set<GraphNode>()): boolean {
  if (seen.has(node)) return false;
  seen.add(node);
  if ((node.inputMasks ?? []).some((m) => m !== null && m !== undefined)) return true;
  return node.inputTensors.some((st) => {
    const l = st.sourceLayer;
    const cls = l.getClassName();
    if (cls === 'Masking') return true;
    if (cls === 'Embedding' && (l as unknown as { maskZero?: boolean }).maskZero === true) return true;
    const up = l.inboundNodes[st.nodeIndex];
    return up !== undefined && producesMask(up, seen);
  });
}

class LayersModelAdapter implements Model {
  readonly name: string;
  private readonly params: Parameter[] = [];
  private readonly input: SymTensor;
  private readonly output: SymTensor;
  private readonly recurrent = new Map<GraphLayer, RecurrentPlan>();

  constructor(model: tf.LayersModel) {
    this.name = model.name;
    const inputs = model.inputs as unknown as readonly SymTensor[] | undefined;
    const outputs = model.outputs as unknown as readonly SymTensor[] | undefined;
    if (!inputs || !outputs || inputs.length === 0) {
      throw new UnsupportedError(
        'fromLayersModel: model must be built (give the first layer an inputShape), got a model without inputs',
      );
    }
    if (inputs.length !== 1 || outputs.length !== 1) {
      throw new UnsupportedError(
        `fromLayersModel: model must have one input and one output, got ${inputs.length} inputs and ${outputs.length} outputs`,
      );
    }
    this.input = inputs[0] as SymTensor;
    this.output = outputs[0] as SymTensor;
    const seen = new Set<string>();
    for (const layer of model.layers as unknown as readonly GraphLayer[]) {
      for (const node of layer.inboundNodes) {
        const plan = recurrentPlan(
          'fromLayersModel',
          layer,
          () => producesMask(node),
          node.inputTensors.length,
        );
        if (plan) this.recurrent.set(layer, plan);
      }
      for (const w of layer.trainableWeights) {
        const prefix = `${layer.name}/`;
        const short = w.originalName.startsWith(prefix)
          ? w.originalName.slice(prefix.length)
          : w.originalName;
        let name = `${layer.name}.${short.replaceAll('/', '.')}`;
        for (let k = 1; seen.has(name); k++) name = `${layer.name}.${short.replaceAll('/', '.')}_${k}`;
        seen.add(name);
        this.params.push({ name, variable: w.read() as tf.Variable, role: roleOf(short) });
      }
    }
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
    checkShape(`${this.name}.apply`, 'x', x, this.input.shape);
    const c = ctx ?? identityContext(false);
    return tf.tidy(() => {
      const cache = new Map<GraphNode, tf.Tensor[]>();
      const evaluate = (st: SymTensor): tf.Tensor => {
        const layer = st.sourceLayer;
        if (layer.getClassName() === 'InputLayer') return x;
        const node = layer.inboundNodes[st.nodeIndex] as GraphNode;
        let outs = cache.get(node);
        if (!outs) {
          const ins = node.inputTensors.map(evaluate);
          const plan = this.recurrent.get(layer);
          const y = plan
            ? runRecurrent(plan, ins[0] as tf.Tensor, c)
            : layer.apply(ins.length === 1 ? (ins[0] as tf.Tensor) : ins, { training: c.training });
          const ys = Array.isArray(y) ? y : [y];
          outs = ys.map((t, k) =>
            c.tap(ys.length === 1 ? `layers.${layer.name}` : `layers.${layer.name}.${k}`, t),
          );
          cache.set(node, outs);
        }
        return outs[st.tensorIndex] as tf.Tensor;
      };
      const y = evaluate(this.output);
      return y === x ? tf.clone(x) : y;
    });
  }

  /** The LayersModel stays the caller's: nothing to free here. */
  dispose(): void {}
}

/**
 * Wraps a user's own `tf.LayersModel` (Sequential or functional, one input and one output) as a
 * {@link Module}: its trainable weights become parameters named `<layerName>.<weightName>`
 * (`dense_1.kernel`, `lstm.recurrent_kernel`; roles from the weight name), and `apply` runs the
 * layers eagerly in topological order, tapping every layer output as `layers.<layerName>`
 * (multi-output layers `layers.<layerName>.<k>`). Multi-input layers (Add, Concatenate, …) receive
 * all their inputs. The parameters are the model's own variables: training either trains both.
 *
 * Recurrent layers (`SimpleRNN`, `LSTM`, `GRU`, and `Bidirectional` around one of them) are
 * unrolled step by step with the layer's own weights and activations, following tfjs-layers'
 * cells exactly (LSTM gates [i, f, c, o] with z = x·K + h·R + b; GRU gates [z, r, h̃] with the
 * reset applied before the recurrent product, h̃ = φ(x_h + (r⊙h)·R_h), h_t = z⊙h + (1 − z)⊙h̃;
 * tfjs's default recurrent activation for LSTM and GRU is `hardSigmoid`), so every hidden state is
 * tapped: `layers.<layerName>.h.init` (the zero initial state, on the tape when a context listens)
 * and `layers.<layerName>.h.<t>` for t = 0…T−1 in the order the layer takes its steps (for
 * `goBackwards`, step t reads input T − 1 − t); a Bidirectional layer taps
 * `layers.<layerName>.forward.h.<t>` and `layers.<layerName>.backward.h.<t>`. The output (with
 * `returnSequences`, `returnState`, every merge mode) equals the layer's own within float32
 * rounding, and so do the parameter gradients.
 *
 * @param model - A built `tf.LayersModel` (`tf.sequential` with an `inputShape`, or `tf.model`).
 * @returns The module; its `dispose()` frees nothing (the LayersModel stays yours to dispose).
 * @throws UnsupportedError (from `@gflow/core`) for an unbuilt model or one with several inputs or
 *   outputs, and for a recurrent layer that is stateful, has `dropout` or `recurrentDropout` above
 *   0, receives a mask (`Masking`, `Embedding` with `maskZero`) or is given an initial state;
 *   InvalidArgumentError when `model` is not a LayersModel; ShapeError from `apply` when the input
 *   does not match the model's input shape.
 * @example
 * ```ts
 * const m = tf.sequential({ layers: [tf.layers.lstm({ units: 8, inputShape: [20, 3], name: 'lstm' }), tf.layers.dense({ units: 1 })] });
 * const module = fromLayersModel(m);
 * module.parameters().map((p) => p.name); // ['lstm.kernel', 'lstm.recurrent_kernel', 'lstm.bias', ...]
 * // measureGradientFlow(module, …).taps: layers.lstm.h.init, layers.lstm.h.0 … layers.lstm.h.19, layers.lstm, …
 * ```
 * @see Hochreiter and Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); Schuster and Paliwal 1997
 *   (bidirectional RNNs).
 */
export function fromLayersModel(model: tf.LayersModel): Model {
  if (!(model instanceof tf.LayersModel)) {
    throw new InvalidArgumentError(
      `fromLayersModel: model must be a tf.LayersModel, got ${describeValue(model)}`,
    );
  }
  return new LayersModelAdapter(model);
}

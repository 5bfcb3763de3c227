import { InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { type ActivationSpec, type ResolvedActivation, resolveActivation } from '../activations.js';
import { type InitSpec, validateInit } from '../initializers.js';
import { BaseModule } from '../internal/base-module.js';
import {
  checkInt,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkParameterCount,
  checkShape,
} from '../internal/validate.js';
import { DenseLayer } from '../layers/dense.js';
import { LayerNormLayer } from '../layers/layer-norm.js';
import type { Model } from '../model.js';
import type { Context } from '../module.js';

/** Options of {@link transformerStack}. */
export interface TransformerOptions {
  /** Number of layers (each: attention + MLP sublayer). */
  readonly depth: number;
  /** Model width d (the residual stream). */
  readonly width: number;
  /** Attention heads; must divide `width` (default 1). */
  readonly heads?: number;
  /** Hidden width of the MLP sublayer (default 4·width). */
  readonly mlpWidth?: number;
  /** Input features of x [batch, seq, inputSize] (default `width`; otherwise a linear embedding maps it to width). */
  readonly inputSize?: number;
  /** Output features of a per-position linear readout (none when omitted). */
  readonly outputSize?: number;
  /** Where the layer norms sit (default `'pre'`). */
  readonly norm?: 'pre' | 'post';
  /** MLP activation (default `'gelu'`). */
  readonly activation?: ActivationSpec;
  /** Kernel initializer (default `'xavier'`). */
  readonly init?: InitSpec;
  /** Causal (autoregressive) attention mask (default false). */
  readonly causal?: boolean;
  /** Seed (default 0). */
  readonly seed?: number;
}

interface Layer {
  readonly q: DenseLayer;
  readonly k: DenseLayer;
  readonly v: DenseLayer;
  readonly o: DenseLayer;
  readonly fc1: DenseLayer;
  readonly fc2: DenseLayer;
  readonly norm1: LayerNormLayer;
  readonly norm2: LayerNormLayer;
}

class TransformerStack extends BaseModule {
  private readonly layers: Layer[] = [];
  private readonly embed: DenseLayer | undefined;
  private readonly finalNorm: LayerNormLayer | undefined;
  private readonly readout: DenseLayer | undefined;
  private readonly act: ResolvedActivation;
  private readonly inputSize: number;
  private readonly width: number;
  private readonly heads: number;
  private readonly pre: boolean;
  private readonly causal: boolean;

  constructor(o: TransformerOptions) {
    const fn = 'transformerStack';
    const depth = checkInt(fn, 'options.depth', o.depth);
    const width = checkInt(fn, 'options.width', o.width);
    const heads = checkInt(fn, 'options.heads', o.heads ?? 1);
    if (width % heads !== 0) {
      throw new InvalidArgumentError(
        `${fn}: options.heads must divide options.width (${width}), got ${heads}`,
      );
    }
    const mlpWidth = checkInt(fn, 'options.mlpWidth', o.mlpWidth ?? 4 * width);
    const inputSize = checkInt(fn, 'options.inputSize', o.inputSize ?? width);
    const outputSize =
      o.outputSize === undefined ? undefined : checkInt(fn, 'options.outputSize', o.outputSize);
    // per block: Q, K, V, O (4·width²) and the MLP (2·width·mlpWidth); input and output projections
    checkParameterCount(
      fn,
      depth * (4 * width * width + 2 * width * mlpWidth) + inputSize * width + width * (outputSize ?? 0),
    );
    const norm = checkOneOf(fn, 'options.norm', o.norm ?? 'pre', ['pre', 'post'] as const);
    const act = resolveActivation(o.activation ?? 'gelu', fn, 'options.activation');
    const init = o.init ?? 'xavier';
    validateInit(init, fn, 'options.init');
    const seed = checkNumber(fn, 'options.seed', o.seed ?? 0);
    super(fn);
    this.act = act;
    this.inputSize = inputSize;
    this.width = width;
    this.heads = heads;
    this.pre = norm === 'pre';
    this.causal = o.causal ?? false;
    const lin = (i: number, out: number, name: string): DenseLayer =>
      this.addChild(new DenseLayer({ inputSize: i, outputSize: out, init, seed, name }));
    this.embed = inputSize === width ? undefined : lin(inputSize, width, 'embed');
    for (let i = 0; i < depth; i++) {
      const p = `layers.${i}`;
      this.layers.push({
        norm1: this.addChild(new LayerNormLayer({ size: width, name: `${p}.norm1` })),
        q: lin(width, width, `${p}.attn.query`),
        k: lin(width, width, `${p}.attn.key`),
        v: lin(width, width, `${p}.attn.value`),
        o: lin(width, width, `${p}.attn.output`),
        norm2: this.addChild(new LayerNormLayer({ size: width, name: `${p}.norm2` })),
        fc1: lin(width, mlpWidth, `${p}.mlp.fc1`),
        fc2: lin(mlpWidth, width, `${p}.mlp.fc2`),
      });
    }
    this.finalNorm = this.pre
      ? this.addChild(new LayerNormLayer({ size: width, name: 'final.norm' }))
      : undefined;
    this.readout = outputSize === undefined ? undefined : lin(width, outputSize, 'readout');
  }

  checkInput(x: tf.Tensor): void {
    checkShape('transformerStack.apply', 'x', x, [null, null, this.inputSize]);
  }

  private attention(l: Layer, x: tf.Tensor): tf.Tensor {
    const [b, n] = x.shape as [number, number, number];
    const h = this.heads;
    const dh = this.width / h;
    const split = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [b, n, h, dh]), [0, 2, 1, 3]);
    const q = split(l.q.forward(x));
    const k = split(l.k.forward(x));
    const v = split(l.v.forward(x));
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    if (this.causal) {
      const mask = tf.linalg.bandPart(tf.ones([n, n]), -1, 0);
      scores = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9));
    }
    const attn = tf.softmax(scores, -1);
    const out = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b, n, this.width]);
    return l.o.forward(out);
  }

  private mlp(l: Layer, x: tf.Tensor): tf.Tensor {
    return l.fc2.forward(this.act.fn(l.fc1.forward(x)));
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    let h = this.embed ? this.embed.forward(x) : x;
    this.layers.forEach((l, i) => {
      if (this.pre) {
        h = ctx.tap(`layers.${i}.attn`, tf.add(h, this.attention(l, l.norm1.forward(h))));
        h = ctx.tap(`layers.${i}.mlp`, tf.add(h, this.mlp(l, l.norm2.forward(h))));
      } else {
        h = ctx.tap(`layers.${i}.attn`, l.norm1.forward(tf.add(h, this.attention(l, h))));
        h = ctx.tap(`layers.${i}.mlp`, l.norm2.forward(tf.add(h, this.mlp(l, h))));
      }
    });
    if (this.finalNorm) h = this.finalNorm.forward(h);
    return this.readout ? this.readout.forward(h) : h;
  }
}

/**
 * A stack of transformer layers (Vaswani et al. 2017) over [batch, seq, features], each a
 * multi-head self-attention and an MLP sublayer on a residual stream, with the layer norm either
 * `'pre'` (x + F(LN(x)), plus a final LN; Xiong et al. 2020) or `'post'` (LN(x + F(x)); the
 * original). Post-norm puts a norm on the residual path, which shrinks the gradient reaching early
 * layers; pre-norm keeps an identity path.
 *
 * Taps `layers.<i>.attn` and `layers.<i>.mlp` (the stream after each sublayer); parameters
 * `layers.<i>.attn.query|key|value|output.*`, `layers.<i>.mlp.fc1|fc2.*`, `layers.<i>.norm1|norm2.*`,
 * `embed.*`, `final.norm.*`, `readout.*`.
 *
 * @param options - See {@link TransformerOptions}.
 * @returns The model; input [batch, seq, inputSize], output [batch, seq, outputSize ?? width].
 * @throws InvalidArgumentError (from `@gflow/core`) for a depth or width of 0, heads not dividing
 *   width, or unknown names, before any tensor is allocated.
 * @example
 * ```ts
 * const net = transformerStack({ depth: 6, width: 32, heads: 4, norm: 'post' });
 * const y = net.apply(tf.randomNormal([2, 10, 32]));
 * ```
 * @see Vaswani et al. 2017, "Attention Is All You Need"; Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture".
 */
export function transformerStack(options: TransformerOptions): Model {
  checkOptions('transformerStack', options);
  return new TransformerStack(options);
}

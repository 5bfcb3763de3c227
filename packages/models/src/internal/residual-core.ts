import * as tf from '@tensorflow/tfjs';
import type { ResolvedActivation } from '../activations.js';
import type { Context } from '../module.js';
import { BaseModule } from './base-module.js';
import type { CommonResolved } from './feedforward-options.js';
import { makeNorm } from './norm.js';

/** Which residual block (He et al. 2016a post-activation, 2016b pre-activation). */
export type ResidualVariant = 'post-activation' | 'pre-activation';

interface Block {
  readonly l1: BaseModule;
  readonly l2: BaseModule;
  readonly n1: BaseModule | undefined;
  readonly n2: BaseModule | undefined;
}

/** The shared residual stack over dense or conv layers. */
export class ResidualStack extends BaseModule {
  private readonly stem: BaseModule | undefined;
  private readonly stemNorm: BaseModule | undefined;
  private readonly blocks: Block[] = [];
  private readonly finalNorm: BaseModule | undefined;
  private readonly readout: BaseModule | undefined;
  private readonly act: ResolvedActivation;
  private readonly variant: ResidualVariant;
  private readonly branchScale: number;
  private readonly pool: boolean;

  constructor(
    name: string,
    c: CommonResolved,
    width: number,
    inputSize: number,
    variant: ResidualVariant,
    branchScale: number,
    makeLayer: (inSize: number, outSize: number, name: string) => BaseModule,
    makeReadout: (inSize: number, outSize: number) => BaseModule,
    pool: boolean,
    private readonly check: (x: tf.Tensor) => void,
    withStem = true,
  ) {
    super(name);
    this.act = c.activation;
    this.variant = variant;
    this.branchScale = branchScale;
    this.pool = pool;
    // Without a stem the input (already `width` wide) enters the first block as it is.
    this.stem = withStem ? this.addChild(makeLayer(inputSize, width, 'stem')) : undefined;
    const sn = withStem && variant === 'post-activation' ? makeNorm(c.norm, width, 'stem.norm') : undefined;
    this.stemNorm = sn ? this.addChild(sn) : undefined;
    for (let i = 0; i < c.depth; i++) {
      const n1 = makeNorm(c.norm, width, `blocks.${i}.norm1`);
      const l1 = this.addChild(makeLayer(width, width, `blocks.${i}.${pool ? 'conv1' : 'dense1'}`));
      const n2 = makeNorm(c.norm, width, `blocks.${i}.norm2`);
      const l2 = this.addChild(makeLayer(width, width, `blocks.${i}.${pool ? 'conv2' : 'dense2'}`));
      if (n1) this.addChild(n1);
      if (n2) this.addChild(n2);
      this.blocks.push({ l1, l2, n1, n2 });
    }
    const fnorm = variant === 'pre-activation' ? makeNorm(c.norm, width, 'final.norm') : undefined;
    this.finalNorm = fnorm ? this.addChild(fnorm) : undefined;
    this.readout = c.outputSize === undefined ? undefined : this.addChild(makeReadout(width, c.outputSize));
  }

  checkInput(x: tf.Tensor): void {
    this.check(x);
  }

  forward(x: tf.Tensor, ctx: Context): tf.Tensor {
    const norm = (n: BaseModule | undefined, t: tf.Tensor): tf.Tensor => (n ? n.forward(t, ctx) : t);
    const f = this.act.fn;
    let h = x;
    if (this.stem) {
      h = this.stem.forward(x, ctx);
      if (this.variant === 'post-activation') h = f(norm(this.stemNorm, h));
    }
    this.blocks.forEach((b, i) => {
      if (this.variant === 'pre-activation') {
        // He et al. 2016b: x + s·W2 φ(BN(W1 φ(BN(x))))
        const r = b.l2.forward(f(norm(b.n2, b.l1.forward(f(norm(b.n1, h)), ctx))), ctx);
        h = tf.add(h, this.branchScale === 1 ? r : tf.mul(r, this.branchScale));
      } else {
        // He et al. 2016a: φ(x + s·BN(W2 φ(BN(W1 x))))
        const r = norm(b.n2, b.l2.forward(f(norm(b.n1, b.l1.forward(h, ctx))), ctx));
        h = f(tf.add(h, this.branchScale === 1 ? r : tf.mul(r, this.branchScale)));
      }
      h = ctx.tap(`blocks.${i}`, h);
    });
    if (this.variant === 'pre-activation') h = f(norm(this.finalNorm, h));
    if (!this.readout) return h;
    return this.readout.forward(this.pool ? tf.mean(h, [1, 2]) : h, ctx);
  }
}

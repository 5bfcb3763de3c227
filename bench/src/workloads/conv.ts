import { measureGradientFlow } from '@gflow/diagnostics';
import {
  batchNorm,
  type Context,
  conv2d,
  identityContext,
  type Module,
  type Parameter,
  plainConvNet,
  residualConvNet,
  sequential,
} from '@gflow/models';
import * as tf from '@tensorflow/tfjs';
import type { Workload } from '../workload.js';

const BLOCKS = 30;
const CHANNELS = 64;

type Model = Module & { dispose(): void };

/**
 * One block of WORKLOADS.md built from @gflow/models' public layers, as a user writes their own
 * module: conv3x3 → BN → ReLU → conv3x3 → BN (→ + x) → ReLU, convolutions without bias, batch
 * norm with the batch's statistics when `ctx.training`.
 */
class ConvBlock implements Module {
  readonly name: string;
  private readonly conv1: Model;
  private readonly bn1: Model;
  private readonly conv2: Model;
  private readonly bn2: Model;

  constructor(
    index: number,
    private readonly residual: boolean,
  ) {
    this.name = residual ? 'residualBlock' : 'plainBlock';
    const conv = (name: string, seed: number): Model =>
      conv2d({ inputChannels: CHANNELS, outputChannels: CHANNELS, kernelSize: 3, bias: false, seed, name });
    this.conv1 = conv('conv1', 2 * index);
    this.bn1 = batchNorm({ size: CHANNELS, name: 'norm1' });
    this.conv2 = conv('conv2', 2 * index + 1);
    this.bn2 = batchNorm({ size: CHANNELS, name: 'norm2' });
  }

  parameters(): readonly Parameter[] {
    return [this.conv1, this.bn1, this.conv2, this.bn2].flatMap((m) => m.parameters());
  }

  apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
    const c = identityContext(ctx?.training ?? false);
    return tf.tidy(() => {
      const h = tf.relu(this.bn1.apply(this.conv1.apply(x, c), c));
      const r = this.bn2.apply(this.conv2.apply(h, c), c);
      return tf.relu(this.residual ? tf.add(r, x) : r);
    });
  }

  dispose(): void {
    for (const m of [this.conv1, this.bn1, this.conv2, this.bn2]) m.dispose();
  }
}

/**
 * The builder's network when it is exactly the workload's (no conv bias, no stem), else
 * `undefined`. plainConvNet has one conv per block, so 60 of its blocks are 30 of ours (its
 * taps at odd indices are our block outputs).
 */
function fromBuilder(residual: boolean): { model: Model; blockTaps: (name: string) => boolean } | undefined {
  const common = {
    channels: CHANNELS,
    inputChannels: CHANNELS,
    activation: 'relu',
    norm: 'batch',
    bias: false,
    seed: 0,
  };
  let model: Model;
  try {
    model = residual
      ? residualConvNet({ ...common, depth: BLOCKS, variant: 'post-activation' } as Parameters<
          typeof residualConvNet
        >[0])
      : plainConvNet({ ...common, depth: 2 * BLOCKS } as Parameters<typeof plainConvNet>[0]);
  } catch {
    return undefined; // the builder does not take these options (yet)
  }
  const params = model.parameters();
  if (params.some((p) => p.role === 'bias' || p.name.startsWith('stem'))) {
    model.dispose();
    return undefined;
  }
  const blockTaps = residual
    ? (name: string) => /^blocks\.\d+$/.test(name)
    : (name: string) => /^blocks\.\d+$/.test(name) && Number(name.slice(7)) % 2 === 1;
  return { model, blockTaps };
}

function convWorkload(name: string, what: string, residual: boolean): Workload {
  return {
    name,
    what,
    repeats: 5,
    prepare() {
      const built = fromBuilder(residual);
      const model =
        built?.model ?? sequential(...Array.from({ length: BLOCKS }, (_, i) => new ConvBlock(i, residual)));
      const blockTaps = built?.blockTaps ?? ((n: string) => /^blocks\.\d+$/.test(n));
      const construction = built
        ? residual
          ? 'residualConvNet'
          : 'plainConvNet'
        : 'sequential(conv2d, batchNorm)';
      const x = tf.randomNormal([4, 32, 32, CHANNELS], 0, 1, 'float32', 3);
      const targets = tf.scalar(0); // unused by the loss: L = Σ output
      const loss = (_t: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(y);
      return {
        run() {
          const report = measureGradientFlow(model, { inputs: x, targets, loss, training: true });
          const taps = report.taps.filter((t) => blockTaps(t.name));
          if (taps.length !== BLOCKS)
            throw new Error(`${name}: expected ${BLOCKS} block taps, got ${taps.length}`);
          return {
            construction,
            blockTaps: taps.length,
            parameters: report.parameters.length,
            gradNormFirstBlock: taps[0]?.gradNorm ?? Number.NaN,
            globalNorm: report.globalNorm,
          };
        },
        dispose() {
          x.dispose();
          targets.dispose();
          model.dispose();
        },
      };
    },
  };
}

/**
 * `conv-plain-30`: 30 plain blocks (conv3x3 → BN → ReLU → conv3x3 → BN → ReLU, 64 channels, no
 * bias), input 4×32×32×64 N(0,1), L = Σ output; one `measureGradientFlow` (@gflow/diagnostics),
 * which yields the gradient norm at every block output and every parameter's.
 */
export const convPlain = convWorkload(
  'conv-plain-30',
  'one forward+backward, 30 plain blocks, per-block and per-parameter gradient norms',
  false,
);

/** `conv-residual-30`: the same with output = ReLU(BN(conv(ReLU(BN(conv(x))))) + x). */
export const convResidual = convWorkload('conv-residual-30', 'the same with residual blocks', true);

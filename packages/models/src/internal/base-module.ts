import { UnsupportedError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../model.js';
import {
  type Context,
  identityContext,
  isIdentityContext,
  type Parameter,
  type ParameterRole,
} from '../module.js';

/** A context whose tap names are prefixed with `prefix` (an identity context stays itself). */
export function prefixContext(ctx: Context, prefix: string): Context {
  if (prefix === '' || isIdentityContext(ctx)) return ctx;
  return { training: ctx.training, tap: (name, t) => ctx.tap(`${prefix}${name}`, t) };
}

/** Joins a dotted path, skipping empty parts. */
export function joinName(...parts: readonly string[]): string {
  return parts.filter((p) => p !== '').join('.');
}

/** Shared machinery of every module of this package: parameters, owned tensors, disposal. */
export abstract class BaseModule implements Model {
  readonly name: string;
  protected readonly params: Parameter[] = [];
  protected readonly owned: tf.Tensor[] = [];
  protected readonly children: BaseModule[] = [];
  private disposed = false;

  constructor(name: string) {
    this.name = name;
  }

  parameters(): readonly Parameter[] {
    const out: Parameter[] = [...this.params];
    for (const c of this.children) out.push(...c.parameters());
    return out;
  }

  /** Validates the input's shape (before any tensor is made) and runs {@link forward} in a tidy scope. */
  apply(x: tf.Tensor, ctx?: Context): tf.Tensor {
    if (this.disposed) throw new UnsupportedError(`${this.name}.apply: the model was disposed`);
    this.checkInput(x);
    const c = ctx ?? identityContext(false);
    return tf.tidy(() => this.forward(x, c));
  }

  /** Throws a ShapeError when `x` does not fit. */
  abstract checkInput(x: tf.Tensor): void;

  /** The computation, without validation or tidy; composites call their children's `forward`. */
  abstract forward(x: tf.Tensor, ctx: Context): tf.Tensor;

  /** Creates a variable and registers it as a parameter. */
  protected addParam(
    name: string,
    values: Float32Array,
    shape: readonly number[],
    role: ParameterRole,
    hostRead = false,
  ): Parameter {
    const init = tf.tensor(values, [...shape], 'float32');
    const variable = tf.variable(init, true);
    init.dispose();
    const p: Parameter = hostRead ? { name, variable, role, hostRead } : { name, variable, role };
    this.params.push(p);
    return p;
  }

  /** Keeps a constant tensor alive until dispose. */
  protected own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  /** Registers a child module whose parameters and tensors this module owns. */
  protected addChild<T extends BaseModule>(child: T): T {
    this.children.push(child);
    return child;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) p.variable.dispose();
    for (const t of this.owned) t.dispose();
    for (const c of this.children) c.dispose();
    this.onDispose();
  }

  /** Extra cleanup hook (non-trainable variables). */
  protected onDispose(): void {}
}

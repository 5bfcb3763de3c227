import * as tf from '@tensorflow/tfjs';
import { replacedKernel } from '../register-kernel-fills.js';

/** A plain-array kernel input. */
export interface ArrayInput {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly dtype?: tf.DataType;
}

/** A plain-array kernel output. */
export interface ArrayOutput {
  readonly values: Float32Array;
  readonly shape: number[];
}

/**
 * Runs tfjs's own cpu kernel `name` (the one gflow replaced, where it did) on plain arrays and
 * returns every output: the independent reference for the wasm fills.
 */
export function cpuKernelAll(
  name: string,
  inputs: Record<string, ArrayInput>,
  attrs: Record<string, unknown>,
): ArrayOutput[] {
  const cpu = tf.findBackend('cpu') as tf.KernelBackend;
  const infos: Record<string, tf.TensorInfo> = {};
  for (const [k, v] of Object.entries(inputs)) {
    const dtype = v.dtype ?? 'float32';
    infos[k] = { dataId: cpu.write(v.values, [...v.shape], dtype), shape: [...v.shape], dtype };
  }
  const kernel = replacedKernel(name, 'cpu') ?? tf.getKernel(name, 'cpu');
  if (kernel === undefined) throw new Error(`no cpu kernel ${name}`);
  const out = kernel.kernelFunc({ inputs: infos, backend: cpu, attrs: attrs as tf.NamedAttrMap });
  const outs = (Array.isArray(out) ? out : [out]) as tf.TensorInfo[];
  const result = outs.map((info) => ({
    values: Float32Array.from(cpu.readSync(info.dataId) as Float32Array),
    shape: [...info.shape],
  }));
  for (const info of outs) cpu.disposeData(info.dataId);
  for (const i of Object.values(infos)) cpu.disposeData(i.dataId);
  return result;
}

/** Runs kernel `name` on the active backend through the engine and returns every output. */
export function activeKernelAll(
  name: string,
  inputs: Record<string, ArrayInput>,
  attrs: Record<string, unknown>,
): ArrayOutput[] {
  return tf.tidy(() => {
    const ts: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs))
      ts[k] = tf.tensor(v.values, [...v.shape], v.dtype ?? 'float32');
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      values: Float32Array.from(t.dataSync() as Float32Array),
      shape: [...t.shape],
    }));
  });
}

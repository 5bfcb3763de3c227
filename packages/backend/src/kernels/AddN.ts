import * as tf from '@tensorflow/tfjs';

interface GpuBackendLike {
  readonly device?: { readonly limits?: { readonly maxStorageBuffersPerShaderStage?: number } };
  disposeData(dataId: object): unknown;
}

/**
 * An `AddN` (`tf.addN`) that never binds more inputs than the GPU allows in one shader.
 * tfjs-backend-webgpu 4.22 sums every input in one shader, each bound as a storage buffer: with
 * more than `maxStorageBuffersPerShaderStage − 1` inputs (7 under WebGPU's default limit of 8) the
 * pipeline is invalid and the output reads back as zeros, with only a console warning (e.g. an
 * exact Hessian-vector product over 8 parameters). Here the inputs are summed in groups of at most
 * that many, then the partial sums, so Σᵢ xᵢ is the same sum in a different association.
 *
 * @param stock - The backend's own `AddN` config (it does each group's sum).
 * @param backendName - The backend it is registered for.
 * @param defaultMax - The most inputs one call may take when the backend names no device limit.
 */
export function addNChunkedConfig(
  stock: tf.KernelConfig,
  backendName: string,
  defaultMax = 7,
): tf.KernelConfig {
  return {
    kernelName: 'AddN',
    backendName,
    kernelFunc: (args) => {
      const backend = args.backend as unknown as GpuBackendLike;
      const limit = backend.device?.limits?.maxStorageBuffersPerShaderStage;
      const max = Math.max(2, limit !== undefined ? limit - 1 : defaultMax);
      let level = Array.from(args.inputs as unknown as ArrayLike<tf.TensorInfo>);
      if (level.length <= max) return stock.kernelFunc(args);
      const partials: tf.TensorInfo[] = [];
      while (level.length > max) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += max) {
          const group = level.slice(i, i + max);
          if (group.length === 1) {
            next.push(group[0]!);
            continue;
          }
          const partial = stock.kernelFunc({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap });
          partials.push(partial as tf.TensorInfo);
          next.push(partial as tf.TensorInfo);
        }
        level = next;
      }
      const out = stock.kernelFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap });
      for (const p of partials) backend.disposeData(p.dataId);
      return out;
    },
  };
}

const filled = new WeakSet<tf.KernelConfig>();

/**
 * Registers gflow's webgpu kernel fills over the kernels tfjs-backend-webgpu registered (which
 * happens when the page imports it, so this runs when initBackend chooses webgpu). Idempotent.
 *
 * @returns The fills' names for `BackendInfo.fills`.
 */
export function registerWebgpuFills(): string[] {
  const current = tf.getKernel('AddN', 'webgpu');
  if (current === undefined) return [];
  if (!filled.has(current)) {
    const config = addNChunkedConfig(current, 'webgpu');
    filled.add(config);
    tf.unregisterKernel('AddN', 'webgpu');
    tf.registerKernel(config);
  }
  return ['kernel:AddN'];
}

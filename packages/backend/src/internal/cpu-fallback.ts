import * as tf from '@tensorflow/tfjs';

/** A cpu backend instance to borrow kernels from; created on first use. */
function cpuBackend(): tf.KernelBackend {
  const cpu = tf.findBackend('cpu') as tf.KernelBackend | null;
  if (cpu === null) throw new Error('gflow cpu fallback: the cpu backend is not registered');
  return cpu;
}

/**
 * A kernel for `backendName` that runs the cpu backend's kernel of the same name on a copy of the
 * inputs' data and writes the result back. Meant for rarely used, small kernels the wasm backend
 * lacks (depthwise backprop, unsorted segment sum, einsum): correct, but it copies its inputs and
 * runs in plain JavaScript.
 */
export function cpuFallbackConfig(kernelName: string, backendName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as tf.KernelBackend;
      const cpu = cpuBackend();
      const kernel = tf.getKernel(kernelName, 'cpu');
      if (kernel === undefined) throw new Error(`gflow cpu fallback: cpu has no kernel ${kernelName}`);
      // Most kernels take named inputs; a few (Einsum, AddN, Concat) take an array.
      const cpuInputs: Record<string, tf.TensorInfo> | tf.TensorInfo[] = Array.isArray(inputs) ? [] : {};
      const written: tf.DataId[] = [];
      for (const [name, info] of Object.entries(inputs)) {
        if (info === undefined) continue;
        const values = backend.readSync(info.dataId) as tf.backend_util.BackendValues;
        const dataId = cpu.write(values, info.shape, info.dtype);
        written.push(dataId);
        (cpuInputs as Record<string, tf.TensorInfo>)[name] = { dataId, shape: info.shape, dtype: info.dtype };
      }
      try {
        const out = kernel.kernelFunc({
          inputs: cpuInputs as tf.NamedTensorInfoMap,
          backend: cpu,
          attrs: attrs ?? {},
        });
        const outs = Array.isArray(out) ? out : [out];
        const moved = outs.map((o) => {
          const values = cpu.readSync(o.dataId) as tf.backend_util.BackendValues;
          cpu.disposeData(o.dataId);
          return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
        });
        return Array.isArray(out) ? moved : moved[0]!;
      } finally {
        for (const id of written) cpu.disposeData(id);
      }
    },
  };
}

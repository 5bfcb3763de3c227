// A page that shows why gflow's synchronous functions are not used on webgpu in headless Chromium
// over SwiftShader: tfjs-backend-webgpu's readSync copies through a WebGPU canvas, which Chromium
// cannot back there, and the device is destroyed. Driven by test/webgpu-readsync.test.ts.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';

/** What one probe saw. */
export interface ReadSyncReport {
  /** Per size: a GPU-computed tensor read with `await data()`, then with `dataSync()` (the host copy). */
  readonly cached: readonly { readonly n: number; readonly ok: boolean }[];
  /** Whether any of those reads went to the canvas (tfjs warns at the first that does). */
  readonly warnedBeforeUncached: boolean;
  /** A fresh GPU-computed tensor of 4,096 values read with `dataSync()`: how many values came back right. */
  readonly uncachedCorrect: number;
  /** The device's loss reason after that read, or null. */
  readonly lost: string | null;
}

async function probe(): Promise<ReadSyncReport> {
  await tf.setBackend('webgpu');
  await tf.ready();
  const backend = tf.backend() as unknown as { device: GPUDevice; hasReadSyncWarned: boolean };
  let lost: string | null = null;
  backend.device.lost.then((info) => {
    lost = info.reason;
  });
  // 1,000 and more: above tfjs-webgpu's CPU-forwarding threshold, so the kernels run on the GPU.
  const gpuTensor = (n: number) => tf.tidy(() => tf.add(tf.matMul(tf.ones([n, 1]), tf.ones([1, 1])), 1));
  const cached: { n: number; ok: boolean }[] = [];
  for (const n of [1000, 4096, 70000]) {
    const t = gpuTensor(n);
    const a = await t.data();
    const b = t.dataSync();
    cached.push({ n, ok: a.length === n && b.every((v, i) => v === 2 && v === a[i]) });
    t.dispose();
  }
  const warnedBeforeUncached = backend.hasReadSyncWarned;
  const t = gpuTensor(4096);
  const v = t.dataSync();
  t.dispose();
  await new Promise((r) => setTimeout(r, 500));
  return { cached, warnedBeforeUncached, uncachedCorrect: v.filter((x) => x === 2).length, lost };
}

(globalThis as { gflowReadSync?: typeof probe }).gflowReadSync = probe;

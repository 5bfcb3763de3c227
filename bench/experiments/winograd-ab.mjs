// A workload's passes with gflow's wasm SIMD module on and off, alternating in one process (the
// threaded engine, 2 threads), after 2 passes of warm-up: the median of each, and every pass. For
// the conv workloads "off" is the engine before the Winograd convolutions (XNNPACK's Conv2D, the
// input gradient through it, the filter gradient as XNNPACK tap matmuls; the module serves
// nothing else there):
//   node bench/experiments/winograd-ab.mjs NAME [PASSES]
import { useSimdWasm } from '../../packages/backend/dist/internal/simd-wasm.js';
import { abPasses } from './ab-passes.mjs';

const [name, passes = '12'] = process.argv.slice(2);
await abPasses(name, Number(passes), useSimdWasm, 'the SIMD module');
process.exit(0);

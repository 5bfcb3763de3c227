// A workload's passes with gflow's SIMD helper thread on and off, alternating in one process (the
// threaded engine, 2 threads), after 2 passes of warm-up: the median of each, and every pass:
//   node bench/experiments/helper-ab.mjs NAME [PASSES]
import { useSimdHelper } from '../../packages/backend/dist/internal/simd-helper.js';
import { abPasses } from './ab-passes.mjs';

const [name, passes = '12'] = process.argv.slice(2);
await abPasses(name, Number(passes), useSimdHelper, 'the helper');
process.exit(0);

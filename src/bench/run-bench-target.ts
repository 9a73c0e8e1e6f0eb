/**
 * Child process of `bench run`: runs one workload, prints
 * {wallSeconds, maxRssMiB, failed} as its last line.
 * Usage: node run-bench-target.js WORKLOAD OUT_DIR THREADS
 */
import { runWorkload } from '../runner/index.js';
import { loadWorkload } from '../workload/index.js';

const [workloadPath, out, threads] = process.argv.slice(2);
const w = loadWorkload(workloadPath);
const t0 = process.hrtime.bigint();
const file = await runWorkload(w, { out, threads: Number(threads) });
const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
// maxRSS covers the whole process, worker threads included (they share it).
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const failed = file.cells.filter((c) => c.status === 'failed').length;
process.stdout.write(`${JSON.stringify({ wallSeconds: Number(wallSeconds.toFixed(2)), maxRssMiB: Math.round(maxRssMiB), failed })}\n`);

/**
 * The process `vdpa-lab profile` profiles: runs one cell of a workload in
 * this thread (no pool, so the profile shows the simulation itself).
 * Usage: node profile-target.js WORKLOAD CELL_ID
 */
import { loadProfile } from '../cost/index.js';
import { runCell } from '../runner/index.js';
import { loadWorkload, resolveProfilePath } from '../workload/index.js';

const [workloadPath, cellId] = process.argv.slice(2);
const w = loadWorkload(workloadPath);
const cell = w.cells.find((c) => c.id === cellId);
if (!cell) throw new Error(`no cell ${cellId} in ${workloadPath}`);
const p = loadProfile(resolveProfilePath(cell.params.profile, w.path));
const r = await runCell(cell, { profile: p.profile, profileHash: p.hash, samples: 0 });
process.stdout.write(`${JSON.stringify({ id: r.id, status: r.status, runWallNs: r.simulator?.runWallNs ?? null })}\n`);

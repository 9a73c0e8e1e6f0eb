/**
 * A pin shard helper: rebuilds the regions over their shared frame tables,
 * then waits for jobs (a slice of pages per helper) and pins them.
 */
import { workerData } from 'node:worker_threads';
import { pinPages, newPinCounters } from './pin.js';
import { HostRegion, type RegionShare } from './region.js';

interface Input {
  regions: RegionShare[];
  ctl: SharedArrayBuffer;
  jobs: SharedArrayBuffer;
  row: number;
  index: number;
}

const input = workerData as Input;
const regions = input.regions.map((d) => HostRegion.fromShare(d));
const ctl = new Int32Array(input.ctl);
const jobs = new Float64Array(input.jobs);
const counters = newPinCounters();
const base = input.index * input.row;
let gen = 0;
Atomics.add(ctl, 2, 1);
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 3)) break;
  const pieces = jobs[base];
  for (let k = 0; k < pieces; k++) {
    pinPages(regions[jobs[base + 1 + 3 * k]], jobs[base + 2 + 3 * k], jobs[base + 3 + 3 * k], counters);
  }
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}

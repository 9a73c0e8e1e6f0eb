/** Small cells for tests: a 64 MiB guest unless told otherwise. */
import type { CostProfile } from '../../src/cost/index.js';
import { loadProfile } from '../../src/cost/index.js';
import { makeCell, PROFILES_DIR, type CellParams, type CellSpec } from '../../src/workload/index.js';

export function params(over: Partial<CellParams> = {}): CellParams {
  return {
    flow: 'workaround',
    parent: 'mlx5',
    variant: null,
    kernel: 'reset-map',
    qemu: '10.0',
    useVa: false,
    devices: 1,
    queuePairs: 2,
    nas: 2,
    guestBytes: 64 * 2 ** 20,
    backing: 'thp',
    meanRun: 1,
    dimms: [],
    seed: 7,
    events: ['boot', 'guest-reset', 'guest-reset', 'close'],
    memlockBytes: null,
    iotlbLimit: null,
    profile: 'default',
    ...over,
  };
}

export function cell(over: Partial<CellParams> = {}): CellSpec {
  return makeCell(params(over));
}

export function defaultProfile(): { profile: CostProfile; hash: string } {
  return loadProfile(`${PROFILES_DIR}/default.json`);
}

#!/usr/bin/env node
/**
 * How long `import 'vdpa-lab'` takes in a fresh Node process, beyond Node's
 * own start: the median wall time of N processes that import the package
 * minus the median of N that run nothing, the two kinds alternating so a
 * busy moment of a shared machine hits both alike (SIMULATOR-style figure:
 * this machine's wall clock, not a kernel figure). Each process also reports
 * the CPU time it used (process.cpuUsage at its end): on a loaded machine
 * wall time mostly measures the wait for a core, CPU time much less so.
 *
 *   npm run build && node scripts/import-time.mjs [ROUNDS] [SPECIFIER...]
 *
 * Run from the package root (the package imports itself by name); another
 * SPECIFIER (a path to another build's dist/src/index.js) is measured in the
 * same rounds, for a side-by-side comparison.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const rounds = Number(process.argv[2] ?? 21);
// Several specifiers (e.g. another build's dist/src/index.js) are measured in the same rounds, side by side.
const specifiers = process.argv.length > 3 ? process.argv.slice(3) : ['vdpa-lab'];
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`error: ROUNDS: a positive integer, got '${process.argv[2]}'`);
  process.exit(2);
}

const CPU = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

/** Wall and CPU ms of one fresh `node -e CODE`. */
function timed(code) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${code}; ${CPU}`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) {
    console.error(`error: node -e ${JSON.stringify(code)} exited ${r.status}`);
    process.exit(1);
  }
  return { wall, cpu: Number(r.stdout) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const kinds = [{ name: 'node -e 0', code: '0', xs: [] }, ...specifiers.map((sp) => ({ name: `import '${sp}'`, code: `await import(${JSON.stringify(sp)})`, xs: [] }))];
for (const k of kinds) timed(k.code); // one warm-up of the file cache each, not counted
for (let i = 0; i < rounds; i++) {
  // Rotate which kind goes first, so none always follows another.
  for (let j = 0; j < kinds.length; j++) {
    const k = kinds[(i + j) % kinds.length];
    k.xs.push(timed(k.code));
  }
}
const stat = (xs, key) => median(xs.map((x) => x[key]));
for (const key of ['wall', 'cpu']) {
  const base = stat(kinds[0].xs, key);
  for (const k of kinds) {
    const xs = k.xs.map((x) => x[key]);
    const extra = k === kinds[0] ? '' : `, import time ${(stat(k.xs, key) - base).toFixed(1)} ms (difference of the medians)`;
    console.log(`${key.padEnd(4)} ${k.name.padEnd(36)} median ${stat(k.xs, key).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})${extra}`);
  }
}
console.log(`${rounds} processes of each kind, rotating order; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);

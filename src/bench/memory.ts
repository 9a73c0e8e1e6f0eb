/** Heap measurement for the peer implementation (its memory is on the JS heap). */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | undefined;

/** A full GC, exposing it on first use (the CLI does not run with --expose-gc). */
export function fullGc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

export function heapUsed(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}

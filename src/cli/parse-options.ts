/** Parsers for command-line option values; errors name the flag. */
import { InputError } from '../errors.js';

export function positiveInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
      throw new InputError(flag, `must be a positive integer, got '${text}'`);
    }
    return n;
  };
}

export function nonNegativeInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n)) {
      throw new InputError(flag, `must be a non-negative integer, got '${text}'`);
    }
    if (n > max) throw new InputError(flag, `must be at most ${max}, got ${text}`);
    return n;
  };
}

/** A comma-separated list of positive integers, with K/M suffixes (1K = 1000). */
export function countList(flag: string) {
  return (text: string): number[] =>
    text.split(',').map((part) => {
      const m = /^([0-9]+)([KkMm]?)$/.exec(part.trim());
      if (!m) throw new InputError(flag, `expected numbers like 1000,100K,1M; got '${part}'`);
      const n = Number(m[1]) * (m[2] === '' ? 1 : /[Kk]/.test(m[2]) ? 1e3 : 1e6);
      if (n < 1) throw new InputError(flag, `counts must be >= 1, got '${part}'`);
      return n;
    });
}

/** A comma-separated list drawn from `allowed`. */
export function choiceList<T extends string>(flag: string, allowed: readonly T[]) {
  return (text: string): T[] =>
    text.split(',').map((part) => {
      const v = part.trim() as T;
      if (!allowed.includes(v)) throw new InputError(flag, `unknown value '${part}' (choose from ${allowed.join(', ')})`);
      return v;
    });
}

/** `--accel`: how a VM backend runs its guest. */
export function accelOption(text: string): 'auto' | 'kvm' | 'tcg' {
  if (text !== 'auto' && text !== 'kvm' && text !== 'tcg') throw new InputError('--accel', `must be auto, kvm or tcg, got '${text}'`);
  return text;
}

/** `--clock`: the VM's guest clock (real/vm/qemu.ts VmClock). */
export function clockOption(text: string): 'wall' | 'icount' {
  if (text !== 'wall' && text !== 'icount') throw new InputError('--clock', `must be wall or icount, got '${text}'`);
  return text;
}

/** Up front, before anything runs: icount is TCG's instruction counter, and only a VM has one. */
export function checkClock(clock: 'wall' | 'icount', accel: string, backendKind: string | undefined): void {
  if (clock === 'wall') return;
  if (backendKind !== 'vm') throw new InputError('--clock', 'icount clocks a VM: give --backend vm:KERNEL');
  if (accel === 'kvm') throw new InputError('--clock', "icount counts TCG's instructions and cannot run with --accel kvm (give --accel tcg or auto)");
}

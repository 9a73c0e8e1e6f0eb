/**
 * Starts QEMU for one run and makes sure it never outlives the run or this
 * process: every live QEMU is in one set, killed on any error path, on
 * process exit, and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export type Accel = 'kvm' | 'tcg';

/**
 * The guest's clock. `wall`: TCG's virtual clock follows the host's, so a
 * guest-timed syscall costs what the shared host gave QEMU at that moment
 * (the same real cell moved 1.5 to 14x between runs on a loaded host).
 * `icount`: TCG counts the guest's instructions and its clock advances one
 * nanosecond per instruction (`-icount shift=0`), jumping straight to the
 * next timer when the guest idles (`sleep=off`), so a guest-timed syscall
 * costs the instructions it executed, whatever the host's load (QEMU's
 * qemu-options.hx "-icount" and docs/devel/tcg-icount.rst; the TSC and
 * QEMU_CLOCK_VIRTUAL both read the instruction counter). TCG only, one vCPU.
 */
export type VmClock = 'wall' | 'icount';

/** One instruction per virtual nanosecond: the fastest fixed rate (a higher shift only adds timer ticks per instruction). */
export const ICOUNT_ARGS: readonly string[] = ['-icount', 'shift=0,sleep=off'];

export interface QemuSpec {
  accel: Accel;
  /** The guest's clock (default wall); icount needs TCG. */
  clock?: VmClock;
  memMiB: number;
  kernel: string;
  initrd: string;
  /** ttyS0: the kernel console goes to this file. */
  consoleLog: string;
  /**
   * ttyS1: our frames go to this file, which the host tails. Not QEMU's
   * stdout: a pipe the host drains late makes QEMU's UART drop bytes (it
   * retries a write that would block only a few times, then discards the
   * byte), and answers came back with holes in them under load.
   */
  framesLog: string;
  /** More kernel command line (the huge pages a run reserves: hugepagesz=2M hugepages=N ...). */
  kernelArgs?: string;
  /** More QEMU arguments: a machine and devices a parent needs (real/platform-iommu.ts). */
  extraArgs?: readonly string[];
}

export function qemuArgs(s: QemuSpec): string[] {
  // KVM runs the guest on the host's CPU: there is no instruction counter to clock it by.
  if (s.clock === 'icount' && s.accel !== 'tcg') throw new Error(`-icount needs TCG, not ${s.accel}`);
  return [
    ...(s.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max']),
    ...(s.clock === 'icount' ? ICOUNT_ARGS : []),
    '-m', String(s.memMiB),
    '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', s.kernel,
    '-initrd', s.initrd,
    // panic=-1 reboots at once on a panic, and -no-reboot turns that into QEMU exiting.
    '-append', ['console=ttyS0 panic=-1 rdinit=/init', s.kernelArgs].filter(Boolean).join(' '),
    '-serial', `file:${s.consoleLog}`,
    '-serial', `file:${s.framesLog}`,
    ...(s.extraArgs ?? []),
  ];
}

const live = new Set<ChildProcessWithoutNullStreams>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhook(): void {
  if (!hooked || live.size > 0) return;
  hooked = false;
  process.off('exit', killAll);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

export function startQemu(spec: QemuSpec): ChildProcessWithoutNullStreams {
  hook();
  const child = spawn('qemu-system-x86_64', qemuArgs(spec), { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.on('close', () => {
    live.delete(child);
    unhook();
  });
  child.on('error', () => {
    live.delete(child);
    unhook();
  });
  return child;
}

/** Kills one QEMU (SIGKILL: nothing in the guest is worth waiting for once we give up). */
export function killQemu(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.delete(child);
}

/** How many QEMUs this process is running (tests check that none is left). */
export function liveQemuCount(): number {
  return live.size;
}

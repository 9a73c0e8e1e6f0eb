/**
 * One boot: start QEMU on the prepared kernel with the job archive appended,
 * read the frames until `done` and QEMU's exit, enforce the deadline, and say
 * how far the guest got when it does not finish.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import type { PreparedKernel } from './prepared.js';
import { FrameReader, type VmJobResult } from './frames.js';
import { killQemu, startQemu, type Accel, type VmClock } from './qemu.js';

/** The VM did not finish: timeout, crash, a base module that would not load. Exit 1. */
export class VmFailedError extends VdpaLabError {
  override name = 'VmFailedError';
  constructor(
    message: string,
    /** Jobs that finished before the failure. */
    readonly finished: VmJobResult[],
    /** The job the guest was running when it died; null when no job was (boot, base modules, between jobs). */
    readonly running: string | null = null,
  ) {
    super(message);
  }
}

export interface BootResult {
  release: string;
  bootMs: number;
  wallMs: number;
  jobs: VmJobResult[];
}

export interface BootOptions {
  accel: Accel;
  /** The guest's clock (qemu.ts); default wall. */
  clock?: VmClock;
  memMiB: number;
  /**
   * The longest the guest may go without progress: from QEMU's start to
   * /init, and from then to each job's end. Re-armed at each, so a run of
   * many jobs is not cut short by its length (a 32-cell run under icount on
   * a loaded host took 2 min per job), while a guest that hangs still is.
   */
  timeoutMs: number;
  jobArchive: Buffer;
  /** More kernel command line (qemu.ts). */
  kernelArgs?: string;
  /** More QEMU arguments (qemu.ts). */
  qemuArgs?: readonly string[];
  onProgress?: (line: string) => void;
  /** Stop early when QEMU's stderr says this (the KVM probe uses it). */
  abortOn?: RegExp;
}

/** Last lines of the kernel console, for error messages. */
const consoleTailLines = 8;

/** How often the host reads what the guest appended to the frames file. */
const framesPollMs = 100;

/** Reads a file as it grows: each call returns the bytes appended since the last one. */
class FileTail {
  private fd = -1;
  private offset = 0;
  private readonly buf = Buffer.alloc(1 << 16);
  private readonly decoder = new TextDecoder();
  constructor(private readonly path: string) {}

  read(): string {
    if (this.fd < 0) {
      if (!existsSync(this.path)) return '';
      this.fd = openSync(this.path, 'r');
    }
    let out = '';
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) return out;
      this.offset += n;
      out += this.decoder.decode(this.buf.subarray(0, n), { stream: true });
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

export async function bootAndRun(k: PreparedKernel, opts: BootOptions): Promise<BootResult> {
  const work = mkdtempSync(join(tmpdir(), 'vdpa-lab-vm-'));
  try {
    const initrd = join(work, 'initrd.cpio');
    writeFileSync(initrd, Buffer.concat([readFileSync(k.initramfsPath), opts.jobArchive]));
    const consoleLog = join(work, 'console.log');
    const framesLog = join(work, 'frames.log');
    const started = Date.now();
    const child = startQemu({ accel: opts.accel, clock: opts.clock, memMiB: opts.memMiB, kernel: k.vmlinuzPath, initrd, consoleLog, framesLog, kernelArgs: opts.kernelArgs, extraArgs: opts.qemuArgs });
    const frames = new FileTail(framesLog);
    const reader = new FrameReader();
    const jobs: VmJobResult[] = [];
    let release = '';
    let bootMs = -1;
    let done = false;
    let baseError = '';
    let current = '';
    let stderr = '';
    let failure = '';
    const say = opts.onProgress ?? (() => {});

    const exited = new Promise<number | null>((resolvePromise) => {
      child.on('close', (code) => resolvePromise(code));
      child.on('error', (e) => {
        failure ||= `qemu-system-x86_64 could not start: ${e.message}`;
        resolvePromise(null);
      });
    });
    let progressed = false;
    const arm = () =>
      setTimeout(() => {
        failure ||= `did not finish within ${(opts.timeoutMs / 1000).toFixed(0)} s${progressed ? ' of its last progress' : ''}`;
        killQemu(child);
      }, opts.timeoutMs);
    let timer = arm();
    const progress = () => {
      progressed = true;
      clearTimeout(timer);
      timer = arm();
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
      if (opts.abortOn?.test(stderr)) {
        failure ||= `qemu: ${stderr.split('\n').find((l) => opts.abortOn!.test(l)) ?? tail(stderr, 2)}`;
        killQemu(child);
      }
    });
    const consume = (s: string) => {
      for (const e of reader.push(s)) {
        if (e.kind === 'boot') {
          bootMs = Date.now() - started;
          progress();
          say(`vm: ${k.release} booted to /init in ${(bootMs / 1000).toFixed(1)} s (${opts.accel}${opts.clock === 'icount' ? ', icount clock' : ''})`);
        } else if (e.kind === 'release') release = e.release;
        else if (e.kind === 'base-error') baseError = e.text;
        else if (e.kind === 'job-begin') {
          current = e.id;
          say(`vm: job ${e.id} started`);
        } else if (e.kind === 'job-end') {
          jobs.push(e.result);
          current = '';
          progress();
          const how = e.result.setupError ? `setup error: ${e.result.setupError}` : `exit ${e.result.exitCode}`;
          say(`vm: job ${e.id} finished (${how}${e.result.guestSeconds !== undefined ? `, ${e.result.guestSeconds} s guest time` : ''})`);
        } else if (e.kind === 'done') done = true;
      }
    };
    const poll = setInterval(() => consume(frames.read()), framesPollMs);
    child.stdin.end();

    try {
      const code = await exited;
      clearTimeout(timer);
      clearInterval(poll);
      consume(frames.read());
      const wallMs = Date.now() - started;
      if (done && !failure) return { release, bootMs, wallMs, jobs };
      let consoleText = '';
      try {
        consoleText = readFileSync(consoleLog, 'utf8');
      } catch {
        // no console yet: QEMU failed before the guest started
      }
      const where =
        bootMs < 0
          ? `it never reached /init (console: ${tail(consoleText, consoleTailLines) || 'empty'})`
          : baseError
            ? `a base module did not load: ${baseError}`
            : current
              ? `it was running job ${current} after ${jobs.length} finished job(s) (console: ${tail(consoleText, consoleTailLines)})`
              : `it had finished ${jobs.length} job(s) (console: ${tail(consoleText, consoleTailLines)})`;
      const why = failure || (baseError ? 'stopped' : `QEMU exited with ${code}${stderr.trim() ? `: ${tail(stderr, 2)}` : ''}`);
      throw new VmFailedError(`the ${k.release} VM (${opts.accel}) did not finish: ${why}; ${where}`, jobs, current || null);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      frames.close();
      killQemu(child);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

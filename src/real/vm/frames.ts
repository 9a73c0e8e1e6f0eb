/**
 * Reads the guest's ttyS1 stream (guest-protocol.ts) into per-job results.
 * Fed in arbitrary chunks; tolerant of carriage returns; a line that is not a
 * frame outside a blob is kept as noise for error messages, never as output.
 */
import { FRAME_PREFIX, type BlobKind } from '../guest-protocol.js';

export interface VmJobResult {
  id: string;
  /** The probe's exit code; -1 when it did not run (see setupError). */
  exitCode: number;
  stdout: string;
  stderr: string;
  setupError?: string;
  /** Kernel log lines from the job, kept when it failed (setup error or non-zero exit). */
  dmesg?: string;
  /** Guest-clock seconds from the job's start to its end, teardown included. */
  guestSeconds?: number;
}

export type FrameEvent =
  | { kind: 'boot' }
  | { kind: 'release'; release: string }
  | { kind: 'base-error'; text: string }
  | { kind: 'job-begin'; id: string }
  | { kind: 'job-end'; id: string; result: VmJobResult }
  | { kind: 'done' };

export class FrameReader {
  private pending = '';
  private blob: { id: string; kind: BlobKind; lines: string[] } | null = null;
  private readonly jobs = new Map<string, VmJobResult>();
  /** Everything that was not a frame, for error messages. */
  readonly noise: string[] = [];
  lastFrame = '';

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): FrameEvent[] {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    const events: FrameEvent[] = [];
    for (const raw of lines) {
      const e = this.line(raw.replace(/\r/g, ''));
      if (e) events.push(e);
    }
    return events;
  }

  private job(id: string): VmJobResult {
    let j = this.jobs.get(id);
    if (!j) {
      j = { id, exitCode: -1, stdout: '', stderr: '' };
      this.jobs.set(id, j);
    }
    return j;
  }

  private line(line: string): FrameEvent | null {
    if (this.blob) {
      if (line === `${FRAME_PREFIX} blob-end`) {
        const text = Buffer.from(this.blob.lines.join(''), 'base64').toString('utf8');
        const j = this.job(this.blob.id);
        if (this.blob.kind === 'stdout') j.stdout = text;
        else if (this.blob.kind === 'stderr') j.stderr = text;
        else j.dmesg = text;
        this.blob = null;
      } else {
        this.blob.lines.push(line.trim());
      }
      return null;
    }
    if (!line.startsWith(FRAME_PREFIX + ' ')) {
      if (line.trim()) this.noise.push(line);
      return null;
    }
    this.lastFrame = line;
    const rest = line.slice(FRAME_PREFIX.length + 1);
    const [word, ...args] = rest.split(' ');
    switch (word) {
      case 'boot':
        return { kind: 'boot' };
      case 'release':
        return { kind: 'release', release: args.join(' ') };
      case 'base-error':
        return { kind: 'base-error', text: args.join(' ') };
      case 'done':
        return { kind: 'done' };
      case 'blob':
        this.blob = { id: args[0], kind: args[1] as BlobKind, lines: [] };
        return null;
      case 'job':
        return this.jobFrame(args[0], args[1], args.slice(2));
      default:
        this.noise.push(line);
        return null;
    }
  }

  private jobFrame(id: string, what: string, args: string[]): FrameEvent | null {
    const j = this.job(id);
    switch (what) {
      case 'begin':
        return { kind: 'job-begin', id };
      case 'setup-error':
        j.setupError = args.join(' ').trim();
        return null;
      case 'exit':
        j.exitCode = Number(args[0]);
        return null;
      case 'teardown-error':
        // The job's answers stand; later jobs are skipped with a setup error naming this.
        j.stderr += `\n[vdpa-lab] teardown failed:${args.join(' ')}`;
        return null;
      case 'end': {
        const [t0, t1] = args.map(Number);
        if (Number.isFinite(t0) && Number.isFinite(t1)) j.guestSeconds = Math.round((t1 - t0) * 1000) / 1000;
        if (j.exitCode === 0 && !j.setupError) delete j.dmesg;
        return { kind: 'job-end', id, result: j };
      }
      default:
        this.noise.push(`job ${id} ${what} ${args.join(' ')}`);
        return null;
    }
  }
}

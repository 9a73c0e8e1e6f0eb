/**
 * The one call site of the stream check in `qemu record` (#27): the model's
 * message stream for this QEMU release beside the recorded trace, message by
 * message (vmm/trace/stream-check.ts, the code `qemu check` runs). An
 * unexplained difference is a finding about the model: the recording stands
 * and is kept, and record exits 1 so a CI run notices.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { checkStream, formatStreamCheck } from '../vmm/trace/index.js';

export interface StreamCheckInput {
  /** The prepared QEMU's `--version` (10.0.13) and release alias (10.0). */
  qemuVersion: string;
  qemuRelease: string;
  /** x-svq=on. */
  svq: boolean;
  /** The kernel VM's release (`uname -r`). */
  kernelRelease: string;
  ramMiB: number;
  backing: string;
  resets: number;
}

/** Writes DIR/stream-check (the full side-by-side); returns 1 on an unexplained difference, else 0. */
export function writeStreamCheck(dir: string, traceText: string, opts: StreamCheckInput): number {
  const path = join(dir, 'stream-check');
  try {
    const check = checkStream(traceText, { qemu: opts.qemuVersion, svq: opts.svq || undefined, kernel: opts.kernelRelease, where: join(dir, 'trace.log') });
    writeFileAtomic(path, `${formatStreamCheck(check)}\n`);
    return check.unexplained.length ? 1 : 0;
  } catch (e) {
    // The check could not model this trace: a finding too, written where the check would be.
    writeFileAtomic(path, `not checked: ${(e as Error).message}\n`);
    return 1;
  }
}

/**
 * The one call site of the stream check in `qemu record` (#27): the model's
 * message stream for this QEMU release beside the recorded trace, message by
 * message. The check itself is built apart (branch qemu-stream) and is wired
 * in here when both are merged; until then the file says so, and the
 * recording's exit code does not depend on it.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';

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

/** Writes DIR/stream-check; returns the exit code it asks for (0: nothing checked, nothing failed). */
export function writeStreamCheck(dir: string, traceText: string, opts: StreamCheckInput): number {
  void traceText;
  void opts;
  writeFileAtomic(join(dir, 'stream-check'), 'not run: stream check not merged\n');
  return 0;
}

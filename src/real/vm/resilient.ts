/**
 * Runs jobs until every one has a result, one VM boot at a time: when a VM
 * dies part-way (a job that panics the guest, a timeout), the jobs it
 * finished keep their results, the job it was running fails with the reason,
 * and the jobs after it go to a fresh boot. A VM that dies while running no
 * job (it never booted, a base module did not load) is the environment's
 * failure, not a job's: that ends the run with the VM's error.
 */
import { VmFailedError } from './boot.js';
import type { VmJobResult } from './frames.js';
import type { VmJob } from './job-archive.js';
import type { VmRun } from './run-jobs.js';

export async function runJobsResilient(jobs: VmJob[], boot: (jobs: VmJob[]) => Promise<VmRun>, say?: (line: string) => void): Promise<VmRun> {
  const results = new Map<string, VmJobResult>();
  let pending = jobs;
  let last: VmRun | undefined;
  let wallMs = 0;
  while (pending.length) {
    try {
      last = await boot(pending);
      wallMs += last.wallMs;
      for (const j of last.jobs) results.set(j.id, j);
      break;
    } catch (e) {
      if (!(e instanceof VmFailedError) || e.running === null) throw e;
      for (const j of e.finished) results.set(j.id, j);
      results.set(e.running, { id: e.running, exitCode: -1, stdout: '', stderr: '', setupError: e.message });
      say?.(`vm: job ${e.running} took the VM down; ${pending.length - e.finished.length - 1} job(s) left go to a fresh boot`);
      pending = pending.filter((j) => !results.has(j.id));
    }
  }
  const jobsOut = jobs.map((j) => results.get(j.id)!);
  if (!last) {
    // Every boot died in a job: there is no release or accelerator from a finished run to report.
    throw new VmFailedError(`every VM died in a job: ${jobsOut.map((j) => `${j.id}: ${j.setupError ?? 'ok'}`).join('; ')}`, jobsOut.filter((j) => !j.setupError), null);
  }
  return { ...last, wallMs, jobs: jobsOut };
}

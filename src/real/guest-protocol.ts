/**
 * What the host and the guest's /init agree on: where the job archive puts
 * things, and the framing lines the init writes to the second serial port
 * (ttyS1), which carries nothing else (the kernel console is ttyS0).
 *
 * Lines, each starting with FRAME_PREFIX:
 *   boot                       first line of /init
 *   release <uname -r>
 *   base-error <text>          a base module failed to load; the init powers off
 *   job <id> begin
 *   job <id> setup-error <text>
 *   job <id> exit <code>
 *   job <id> teardown-error <text>
 *   job <id> end <guest ms>
 *   blob <id> <stdout|stderr|dmesg>   then base64 lines, then `blob-end`
 *   done                       every job ran; poweroff follows
 */
export const FRAME_PREFIX = '@@VDPALAB';

export const GUEST_PATHS = {
  jobsDir: '/jobs',
  jobList: '/jobs/list',
  probe: '/jobs/probe',
  /** The VDUSE companion (native/vduse/), in archives with a VDUSE job. */
  vduseDev: '/jobs/vduse-dev',
  /** Base modules (everything but the per-job trio), one name a line, in load order. */
  baseOrder: '/lib/modules/base.order',
  modulesDir: '/lib/modules',
} as const;

export type BlobKind = 'stdout' | 'stderr' | 'dmesg';

/** Job ids travel in file names and frame lines: keep them to this alphabet. */
export const JOB_ID_PATTERN = /^[a-z0-9-]{1,64}$/;

/**
 * What runs inside the kernel VM (as the job's program, in place of the probe):
 * a busybox sh script that sets up the guest RAM's backing, runs the prepared
 * QEMU through its own loader on /dev/vhost-vdpa-0 under a deadline, and then
 * prints QEMU's trace, the inner guest's console and QEMU's stderr to stdout
 * between markers, which the job's stdout blob carries back to the host.
 * The deadline (busybox `timeout -s KILL`) ends before the VM's own, so a
 * stuck inner guest still leaves its partial trace; QEMU's log backend
 * flushes each line, so nothing logged is lost to SIGKILL.
 */

export type RecordBacking = 'thp' | '4k' | 'hugetlb-2m';
export const RECORD_BACKINGS: readonly RecordBacking[] = ['thp', '4k', 'hugetlb-2m'];

/** Where the record archive puts things in the VM. */
export const VM_PATHS = { qemu: '/qemu', inner: '/inner', out: '/tmp/rec', hugetlbfs: '/dev/hugepages' } as const;

export const SECTION_BEGIN = '@@REC-FILE';
export const SECTION_END = '@@REC-END';
export const EXIT_LINE = '@@REC-EXIT';

export interface InnerQemuSpec {
  ramMiB: number;
  backing: RecordBacking;
  resets: number;
  svq: boolean;
  /** The virtqueue sizes the inner guest writes before each bind (releases.ts, guestQueueSizes); absent: QEMU's own. */
  queueSizes?: readonly number[];
  /** Seconds before the inner QEMU is killed. */
  deadlineS: number;
  /** The prepared entry's layout, relative to VM_PATHS.qemu. */
  layout: { bin: string; loader: string; libDir: string; moduleDir: string; dataDir: string };
}

/** The inner guest's kernel command line: quiet, because every console byte is an emulated UART write under nested TCG. */
export function innerAppend(resets: number, queueSizes?: readonly number[]): string {
  // no_timer_check: on a loaded host the guest's IO-APIC timer check can fail under nested TCG (a panic at boot, seen here).
  const base = `console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3 no_timer_check vdpalab.resets=${resets}`;
  // iomem=relaxed: Debian's CONFIG_IO_STRICT_DEVMEM keeps /dev/mem off the BAR virtio_pci holds, where the sizes go (inner-init.ts).
  return queueSizes?.length ? `${base} iomem=relaxed vdpalab.vqsizes=${queueSizes.join(',')}` : base;
}

/** QEMU's arguments, as the issue names them, plus the memory backend the backing asks for. */
export function innerQemuArgs(s: InnerQemuSpec): string[] {
  const P = VM_PATHS;
  const size = `${s.ramMiB}M`;
  const backend =
    s.backing === 'hugetlb-2m'
      ? `memory-backend-file,id=mem0,size=${size},mem-path=${P.hugetlbfs}`
      : `memory-backend-ram,id=mem0,size=${size}`;
  return [
    '-machine', 'q35,memory-backend=mem0',
    // A small translation cache: the default reserves up to 1 GiB of the VM for it.
    '-accel', 'tcg,tb-size=64',
    '-m', size,
    '-object', backend,
    '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-L', `${P.qemu}/${s.layout.dataDir}`,
    '-netdev', `type=vhost-vdpa,vhostdev=/dev/vhost-vdpa-0,id=n0${s.svq ? ',x-svq=on' : ''}`,
    // romfile=: no iPXE option ROM (the guest boots with -kernel).
    '-device', 'virtio-net-pci,netdev=n0,romfile=',
    '-kernel', `${P.inner}/vmlinuz`,
    '-initrd', `${P.inner}/inner.cpio`,
    '-append', innerAppend(s.resets, s.queueSizes),
    '-serial', `file:${P.out}/console.log`,
    // -msg timestamp=on gives each trace line its PID@SECONDS.MICROS: prefix (the log backend omits it otherwise).
    '-msg', 'timestamp=on',
    '-trace', 'vhost_vdpa_*',
    '-D', `${P.out}/trace.log`,
  ];
}

/**
 * vhost-vdpa pins every guest RAM map in PA mode and checks the pins against
 * RLIMIT_MEMLOCK with no CAP_IPC_LOCK bypass (drivers/vhost/vdpa.c
 * vhost_vdpa_pa_map, 6.12), and a process starts with MLOCK_LIMIT, 8 MiB. A
 * QEMU left at that refuses its guest's RAM maps (ENOMEM; QEMU: "vhost vdpa map
 * fail!") and the trace still shows them; libvirt raises the limit for vDPA
 * guests, so the recorder does too, and fails rather than go on without it.
 */
const MEMLOCK = `ulimit -l unlimited || { echo "ulimit -l unlimited failed: QEMU's guest RAM maps would exceed RLIMIT_MEMLOCK" >&2; exit 3; }
echo "RLIMIT_MEMLOCK for QEMU: $(ulimit -l)" >&2`;

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

export function recordScript(s: InnerQemuSpec): string {
  const P = VM_PATHS;
  const Q = P.qemu;
  const setup =
    s.backing === 'hugetlb-2m'
      ? `mkdir -p ${P.hugetlbfs}\nmount -t hugetlbfs -o pagesize=2M none ${P.hugetlbfs} || { echo "mount hugetlbfs failed" >&2; exit 3; }\ngrep -E 'HugePages_(Total|Free)' /proc/meminfo >&2`
      : `echo ${s.backing === 'thp' ? 'always' : 'never'} > /sys/kernel/mm/transparent_hugepage/enabled`;
  const cmd = [`${Q}/${s.layout.loader}`, '--library-path', `${Q}/${s.layout.libDir}`, `${Q}/${s.layout.bin}`, ...innerQemuArgs(s)];
  return `#!/bin/sh
# Written by vdpa-lab qemu record (src/real/qemu/record-script.ts).
mkdir -p ${P.out}
${setup}
${MEMLOCK}
export QEMU_MODULE_DIR=${Q}/${s.layout.moduleDir}
timeout -s KILL ${s.deadlineS} ${cmd.map(quote).join(' ')} >${P.out}/qemu.out 2>${P.out}/qemu.err
echo "${EXIT_LINE} $?"
section() { echo "${SECTION_BEGIN} $1"; cat "$2" 2>/dev/null; echo; echo "${SECTION_END}"; }
section trace.log ${P.out}/trace.log
section console.log ${P.out}/console.log
section qemu.err ${P.out}/qemu.err
dmesg >${P.out}/dmesg.log 2>&1
section dmesg.log ${P.out}/dmesg.log
exit 0
`;
}

/** The command line a recording ran, for its README and results (paths as in the VM). */
export function innerCommandLine(s: InnerQemuSpec): string {
  return ['qemu-system-x86_64', ...innerQemuArgs(s)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ');
}

/** The sections and exit status the script printed. */
export function parseRecordOutput(stdout: string): { exit: number | null; files: Map<string, string> } {
  const files = new Map<string, string>();
  const exit = /^@@REC-EXIT (\d+)$/m.exec(stdout);
  const re = new RegExp(`^${SECTION_BEGIN} (\\S+)\\n([\\s\\S]*?)\\n${SECTION_END}$`, 'gm');
  for (const m of stdout.matchAll(re)) files.set(m[1], m[2]);
  return { exit: exit ? Number(exit[1]) : null, files };
}

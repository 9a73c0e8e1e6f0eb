/** `vdpa-lab kernels prepare | list`: the real Debian kernels the vm: backend boots. */
import { Option, type Command } from 'commander';
import { kernelStatuses, prepareKernels, REAL_KERNELS, resolveKernel, type RealKernel } from '../real/index.js';
import { textTable } from '../text-format.js';
import { action } from './run-action.js';

function kernelList(text: string): RealKernel[] {
  return [...new Set(text.split(',').map((part) => resolveKernel(part, '--kernel')))];
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function registerKernels(program: Command): void {
  const kernels = program.command('kernels').description('real Debian kernels for the vm: backend: prepare (download, build vdpa_sim, initramfs) and list')
    .addHelpText('after', '\nExamples:\n  vdpa-lab kernels prepare --kernel 6.12\n  vdpa-lab kernels list');

  kernels
    .command('prepare')
    .description('download the pinned Debian packages, build the vdpa modules the kernel lacks, build the initramfs, cache it all')
    // The default is the kernel table itself: name it by aliases, not as the table's JSON, in --help.
    .addOption(
      new Option('--kernel <list>', `kernels to prepare (${REAL_KERNELS.map((k) => k.alias).join(', ')}, or full releases)`)
        .argParser(kernelList)
        .default([...REAL_KERNELS], REAL_KERNELS.map((k) => k.alias).join(',')),
    )
    .option('--force', 'rebuild even when a complete cache entry exists')
    .option('--json', 'print one JSON object per kernel on stdout: {alias, release, dir, reused, manifest}')
    .option('--quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Several kernels are prepared side by side, each progress line naming its kernel;
one that fails is named once the others are done.
Needs apt-get, dpkg-deb, tar, xz, make, gcc-12 and ldd on the host; the cache is
$VDPA_LAB_CACHE, else $XDG_CACHE_HOME/vdpa-lab, else ~/.cache/vdpa-lab. A complete
entry is reused at once; an interrupted one is rebuilt. Measured here: about
35-40 s per 6.x kernel from an empty cache (2 cores), 480 MiB of packages plus
15-18 MiB per prepared kernel. 7.2 comes from Debian unstable through the lab's
own apt configuration (its lists under the cache's apt/sid, never the system's
sources): about 2.5-3.5 min from an empty cache, 290 MiB of packages (unstable's
glibc among them, to run its kbuild tools) plus 20 MiB prepared.

Examples:
  vdpa-lab kernels prepare                      all three (6.1 legacy, 6.12 and 7.2 reset-map)
  vdpa-lab kernels prepare --kernel 6.12 --json
  VDPA_LAB_CACHE=/var/cache/vdpa-lab vdpa-lab kernels prepare --kernel 6.1`,
    )
    .action(
      action(async (o: { kernel: RealKernel[]; force?: boolean; json?: boolean; quiet?: boolean }) => {
        // Side by side (prepare-kernels.ts); each result line comes out in the order asked for.
        await prepareKernels(o.kernel, {
          force: o.force,
          onProgress: o.quiet ? undefined : (line) => process.stderr.write(line + '\n'),
          onResult: (k, r) => {
            if (o.json) process.stdout.write(JSON.stringify({ alias: k.alias, release: k.release, dir: r.dir, reused: r.reused, manifest: r.manifest }) + '\n');
            else process.stdout.write(`${k.alias}: ${k.release} ${r.reused ? 'already prepared' : `prepared in ${(r.manifest.timingsMs.total / 1000).toFixed(1)} s`} (${r.dir})\n`);
          },
        });
      }),
    );

  kernels
    .command('list')
    .description('the cache directory and each known kernel: prepared or not, release, disk used')
    .option('--json', 'print {cacheDir, debBytes, kernels: [{alias, release, generation, prepared, reason?, dir, bytesOnDisk, params?}]}')
    .addHelpText(
      'after',
      `
Examples:
  vdpa-lab kernels list
  vdpa-lab kernels list --json`,
    )
    .action(
      action((o: { json?: boolean }) => {
        const s = kernelStatuses();
        if (o.json) {
          process.stdout.write(JSON.stringify(s, null, 2) + '\n');
          return;
        }
        process.stdout.write(`cache: ${s.cacheDir} (downloaded packages: ${mib(s.debBytes)})\n`);
        const rows = s.kernels.map((k) => [
          k.alias,
          k.release,
          k.generation,
          k.prepared ? 'prepared' : `no: ${k.reason}`,
          mib(k.bytesOnDisk),
          k.params ? Object.entries(k.params).map(([m, p]) => `${m}: ${p.join(' ') || '-'}`).join('; ') : '',
        ]);
        process.stdout.write(textTable(['kernel', 'release', 'generation', 'state', 'disk', 'module parameters'], rows) + '\n');
      }),
    );
}

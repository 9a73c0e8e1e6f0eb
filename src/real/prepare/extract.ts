/**
 * Step 2: unpack what the build and the guest need. Small packages go through
 * `dpkg-deb -x`. From the kernel image only vmlinuz and the module directories
 * the guest uses are taken (the image is ~400 MB unpacked, nearly all modules
 * the guest never loads), and from linux-source only the source files of the
 * modules we build, out of its ~140 MB tar.xz: both streamed, never written whole.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { CommandFailedError, runCommand } from '../run-command.js';

export async function extractDeb(debPath: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  await runCommand('dpkg-deb', ['-x', debPath, dest]);
}

interface Stage {
  file: string;
  args: string[];
}

/** Runs `stages` as one shell-less pipeline; the first failing stage is the error. */
function pipeline(stages: readonly Stage[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const procs = stages.map((s) => spawn(s.file, s.args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    for (let i = 0; i + 1 < procs.length; i++) procs[i].stdout.pipe(procs[i + 1].stdin);
    procs[0].stdin.end();
    procs[procs.length - 1].stdout.resume();
    let pending = procs.length;
    let failure: Error | null = null;
    procs.forEach((p, i) => {
      const errText: Buffer[] = [];
      p.stderr.on('data', (b: Buffer) => errText.push(b));
      p.stdin.on('error', () => {});
      p.on('error', (e) => {
        failure ??= new CommandFailedError(stages[i].file, e.message);
      });
      p.on('close', (code) => {
        if (code !== 0 && !failure) {
          const shown = `${stages[i].file} ${stages[i].args.join(' ')}`;
          failure = new CommandFailedError(shown, `exit ${code}: ${Buffer.concat(errText).toString().trim().slice(-400)}`);
          for (const other of procs) other.kill();
        }
        if (--pending === 0) (failure ? reject(failure) : resolvePromise());
      });
    });
  });
}

/** `dpkg-deb --fsys-tarfile DEB | tar -x MEMBERS`: members are `./`-rooted paths of the package (a directory brings its tree). */
export function extractDebMembers(debPath: string, members: readonly string[], dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  return pipeline([
    { file: 'dpkg-deb', args: ['--fsys-tarfile', debPath] },
    { file: 'tar', args: ['-x', '-C', dest, ...members] },
  ]);
}

/**
 * `dpkg-deb --fsys-tarfile SRC.deb | tar -xO ./usr/src/linux-source-X.tar.xz | tar -xJ MEMBERS`.
 * Members are paths inside the tarball (`linux-source-6.12/drivers/vhost/vringh.c`).
 */
export function extractSourceMembers(sourceDeb: string, tarballPath: string, members: readonly string[], dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  return pipeline([
    { file: 'dpkg-deb', args: ['--fsys-tarfile', sourceDeb] },
    { file: 'tar', args: ['-xO', tarballPath] },
    { file: 'tar', args: ['-xJ', '-C', dest, ...members] },
  ]);
}

/**
 * Step 2: unpack what the build and the guest need. Whole packages go through
 * `dpkg-deb -x`; from linux-source only the few source files of the modules we
 * build are taken out of its ~140 MB tar.xz, streamed, never written whole.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { CommandFailedError, runCommand } from '../run-command.js';

export async function extractDeb(debPath: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  await runCommand('dpkg-deb', ['-x', debPath, dest]);
}

/**
 * `dpkg-deb --fsys-tarfile SRC.deb | tar -xO ./usr/src/linux-source-X.tar.xz | tar -xJ MEMBERS`,
 * run as three processes piped together. Members are paths inside the tarball
 * (`linux-source-6.12/drivers/vhost/vringh.c`).
 */
export function extractSourceMembers(sourceDeb: string, tarballPath: string, members: readonly string[], dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const stages = [
    { file: 'dpkg-deb', args: ['--fsys-tarfile', sourceDeb] },
    { file: 'tar', args: ['-xO', tarballPath] },
    { file: 'tar', args: ['-xJ', '-C', dest, ...members] },
  ];
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
          failure = new CommandFailedError(`${stages[i].file} ${stages[i].args.join(' ')}`, `exit ${code}: ${Buffer.concat(errText).toString().trim().slice(-400)}`);
          for (const other of procs) other.kill();
        }
        if (--pending === 0) (failure ? reject(failure) : resolvePromise());
      });
    });
  });
}

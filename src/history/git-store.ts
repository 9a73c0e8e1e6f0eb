/**
 * A history kept on a git branch, written without a work tree: the file is
 * read with `git cat-file`, its new content stored with `git hash-object`,
 * the tree rebuilt with `git mktree` and committed with `git commit-tree`,
 * then the branch moved with `git update-ref` (old value checked). Nothing
 * is checked out, so the user's work tree and index are never touched.
 *
 * With a remote (`--remote origin`), the branch is fetched first, so a CI run
 * reads what earlier runs pushed, and the new commit is pushed; when another
 * run pushed in between, the push is refused (not a fast-forward) and the
 * line is added again on top of the fetched branch, up to PUSH_ATTEMPTS times.
 */
import { spawnSync } from 'node:child_process';
import { InputError, VdpaLabError } from '../errors.js';
import { isHistoryFileName, parseHistory } from './record.js';
import type { HistoryFile, HistoryStore } from './store.js';

/** Pushes tried before giving up when other runs keep pushing in between. */
const PUSH_ATTEMPTS = 4;

/** Who commits when the repository names nobody (a fresh CI checkout). */
const FALLBACK_IDENT = { GIT_AUTHOR_NAME: 'vdpa-lab history', GIT_AUTHOR_EMAIL: 'vdpa-lab@localhost', GIT_COMMITTER_NAME: 'vdpa-lab history', GIT_COMMITTER_EMAIL: 'vdpa-lab@localhost' };

interface GitResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, args: string[], input?: string, env?: Record<string, string>): GitResult {
  const r = spawnSync('git', args, { cwd, input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  if (r.error) throw new VdpaLabError(`git ${args[0]}: ${r.error.message} (is git installed?)`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A git command that must succeed: a failure is a fault (exit 1) naming the command and git's message. */
function git(cwd: string, args: string[], input?: string, env?: Record<string, string>): string {
  const r = run(cwd, args, input, env);
  if (r.status !== 0) throw new VdpaLabError(`git ${args.join(' ')}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`}`);
  return r.stdout;
}

interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  name: string;
}

export class GitStore implements HistoryStore {
  readonly name: string;
  private readonly ref: string;

  /** `branch` as given after git:; `remote` (optional) is fetched before reading and pushed to after adding. */
  constructor(
    readonly branch: string,
    private readonly remote: string | undefined,
    private readonly flag: string,
    private readonly cwd = process.cwd(),
  ) {
    this.name = `git:${branch}`;
    if (run(cwd, ['rev-parse', '--git-dir']).status !== 0) throw new InputError(flag, `${this.name}: ${cwd} is not in a git repository`);
    if (run(cwd, ['check-ref-format', '--branch', branch]).status !== 0) throw new InputError(flag, `${this.name}: '${branch}' is not a valid branch name`);
    if (remote !== undefined && run(cwd, ['remote', 'get-url', remote]).status !== 0) throw new InputError('--remote', `'${remote}' is not a remote of this repository (git remote -v lists them)`);
    this.ref = remote === undefined ? `refs/heads/${branch}` : `refs/remotes/${remote}/${branch}`;
  }

  /** The branch's commit, or null when it does not exist yet. */
  private tip(): string | null {
    const r = run(this.cwd, ['rev-parse', '--verify', '--quiet', `${this.ref}^{commit}`]);
    return r.status === 0 ? r.stdout.trim() : null;
  }

  /** With a remote: its branch into refs/remotes/REMOTE/BRANCH (forced: the remote is the truth). A branch not pushed yet is an empty history. */
  private fetch(): void {
    if (this.remote === undefined) return;
    const r = run(this.cwd, ['fetch', '--quiet', '--no-tags', this.remote, `+refs/heads/${this.branch}:${this.ref}`]);
    if (r.status === 0) return;
    if (/couldn't find remote ref/i.test(r.stderr)) {
      // Gone on the remote (or never pushed): forget a stale tracking ref so the history starts empty.
      run(this.cwd, ['update-ref', '-d', this.ref]);
      return;
    }
    throw new VdpaLabError(`git fetch ${this.remote} ${this.branch}: ${r.stderr.trim().split('\n').at(-1)}`);
  }

  /** The branch's files; refused when it holds anything history add did not write (it is someone's branch). */
  private entries(tip: string | null): TreeEntry[] {
    if (tip === null) return [];
    const entries = git(this.cwd, ['ls-tree', '-z', tip])
      .split('\0')
      .filter(Boolean)
      .map((l) => {
        const [meta, name] = l.split('\t');
        const [mode, type, oid] = meta.split(' ');
        return { mode, type, oid, name };
      });
    const foreign = entries.find((e) => e.type !== 'blob' || !isHistoryFileName(e.name));
    if (foreign) throw new InputError(this.flag, `${this.name} holds ${foreign.name}, which vdpa-lab history did not write: name a branch of its own (e.g. git:vdpa-lab-history)`);
    return entries;
  }

  read(): HistoryFile[] {
    this.fetch();
    const tip = this.tip();
    if (tip === null) throw new InputError(this.name, `no such branch${this.remote ? ` on ${this.remote}` : ''} (history add --into ${this.name} makes it)`);
    return this.entries(tip).map((e) => ({ name: e.name, records: parseHistory(git(this.cwd, ['cat-file', 'blob', e.oid]), `${this.name}:${e.name}`) }));
  }

  /** One commit on top of `tip` whose tree is tip's with `line` appended to `file`. */
  private commit(tip: string | null, file: string, line: string, message: string): string {
    const entries = this.entries(tip);
    const old = entries.find((e) => e.name === file);
    const text = old ? git(this.cwd, ['cat-file', 'blob', old.oid]) : '';
    parseHistory(text, `${this.name}:${file}`);
    const blob = git(this.cwd, ['hash-object', '-w', '--stdin'], `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`).trim();
    const rest = entries.filter((e) => e.name !== file);
    const tree = git(this.cwd, ['mktree', '-z'], [...rest, { mode: '100644', type: 'blob', oid: blob, name: file }].map((e) => `${e.mode} ${e.type} ${e.oid}\t${e.name}\0`).join('')).trim();
    return git(this.cwd, ['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-m', message], undefined, this.ident()).trim();
  }

  /** The fallback name and email for what neither git config nor the environment names (commit-tree refuses an empty ident). */
  private ident(): Record<string, string> {
    const known = (key: string, envs: string[]) => envs.every((e) => process.env[e]) || run(this.cwd, ['config', key]).status === 0;
    const out: Record<string, string> = {};
    if (!known('user.name', ['GIT_AUTHOR_NAME', 'GIT_COMMITTER_NAME'])) Object.assign(out, { GIT_AUTHOR_NAME: FALLBACK_IDENT.GIT_AUTHOR_NAME, GIT_COMMITTER_NAME: FALLBACK_IDENT.GIT_COMMITTER_NAME });
    if (!known('user.email', ['GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_EMAIL'])) Object.assign(out, { GIT_AUTHOR_EMAIL: FALLBACK_IDENT.GIT_AUTHOR_EMAIL, GIT_COMMITTER_EMAIL: FALLBACK_IDENT.GIT_COMMITTER_EMAIL });
    return out;
  }

  append(file: string, line: string, message = `vdpa-lab history: add a run to ${file}`): void {
    if (this.remote === undefined) {
      const head = run(this.cwd, ['symbolic-ref', '--quiet', 'HEAD']).stdout.trim();
      if (head === this.ref) throw new InputError(this.flag, `${this.name} is the branch checked out here: name a branch of its own (e.g. git:vdpa-lab-history)`);
      const tip = this.tip();
      const next = this.commit(tip, file, line, message);
      git(this.cwd, ['update-ref', '-m', 'vdpa-lab history add', this.ref, next, tip ?? '0'.repeat(next.length)]);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      this.fetch();
      const tip = this.tip();
      const next = this.commit(tip, file, line, message);
      const r = run(this.cwd, ['push', '--quiet', this.remote, `${next}:refs/heads/${this.branch}`]);
      if (r.status === 0) {
        git(this.cwd, ['update-ref', this.ref, next]);
        return;
      }
      const raced = /rejected|non-fast-forward|fetch first|stale info|cannot lock ref/i.test(r.stderr);
      if (!raced || attempt >= PUSH_ATTEMPTS) throw new VdpaLabError(`git push ${this.remote} ${this.branch}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}${raced ? ` (still racing after ${attempt} attempts)` : ''}`);
    }
  }
}

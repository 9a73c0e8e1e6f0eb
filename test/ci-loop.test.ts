/**
 * The CI user's loop (#28): action.yml, the example workflow and the GitLab
 * template, parsed with a YAML parser; every vdpa-lab command they run exists
 * with the flags it passes; and the example workflow, run here as Actions
 * would run action.yml's shell steps, on two commits of a scratch repository
 * with a bare "origin": a history with two points, a trend chart, and a PR
 * comment whose first line is the verdict, posted once and then updated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COMMENT_MARKER } from '../src/gate/index.js';
import { helpOptions, helpSubcommands, invocations } from './support/doc-commands.js';
import { tempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
type Yaml = Record<string, any>;
const yaml = (path: string): Yaml => parse(readFileSync(join(ROOT, path), 'utf8'), { prettyErrors: true }) as Yaml;
const action = yaml('action.yml');
const example = yaml('docs/ci/example-workflow.yml');
const gitlab = yaml('docs/ci/gitlab-vdpa-lab.yml');

// --- The command tree, from --help ---------------------------------------------------------------
const HELP = new Map<string, string>();
(function walk(path: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...path, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  HELP.set(path.join(' '), r.stdout);
  for (const sub of helpSubcommands(r.stdout)) walk([...path, sub]);
})([]);
const PATHS = new Set([...HELP.keys()].filter(Boolean));

/** The vdpa-lab invocations of a script (npx --no-install vdpa-lab counts as vdpa-lab), checked against --help. */
function checkScript(where: string, script: string): string[][] {
  const seen: string[][] = [];
  for (const line of script.split('\n')) {
    for (const inv of invocations(line.replace(/npx --no-install vdpa-lab/g, 'vdpa-lab'), PATHS)) {
      const help = HELP.get(inv.path.join(' '));
      assert.ok(help && inv.path.length > 0 && helpSubcommands(help).length === 0, `${where}: '${line.trim()}' names no command`);
      const { long } = helpOptions(help);
      for (const f of inv.flags) assert.ok(long.has(f), `${where}: vdpa-lab ${inv.path.join(' ')} takes no ${f}`);
      seen.push(inv.path);
    }
  }
  return seen;
}

test('action.yml: a composite action whose every vdpa-lab command exists with the flags it passes', () => {
  assert.equal(action.runs.using, 'composite');
  for (const name of ['workload', 'baseline', 'github-token']) assert.ok(action.inputs[name], `input ${name}`);
  const steps: Yaml[] = action.runs.steps;
  const commands = steps.flatMap((s) => (s.run ? checkScript(`action.yml step ${s.id}`, s.run) : [])).map((p) => p.join(' '));
  assert.deepEqual(commands, ['run', 'gate', 'report', 'history add', 'history show']);
  const uses = steps.filter((s) => s.uses).map((s) => s.uses as string);
  for (const u of ['actions/setup-node@', 'actions/upload-artifact@', 'actions/github-script@']) assert.ok(uses.some((x) => x.startsWith(u)), `uses ${u}`);
  // Every input it reads is declared, and every shell step runs under bash.
  const text = readFileSync(join(ROOT, 'action.yml'), 'utf8');
  for (const m of text.matchAll(/\$\{\{\s*inputs\.([\w-]+)/g)) assert.ok(action.inputs[m[1]], `inputs.${m[1]} is declared`);
  for (const s of steps) if (s.run) assert.equal(s.shell, 'bash', `step ${s.id}: composite run steps need a shell`);
  const gate = steps.find((s) => s.id === 'gate')!;
  assert.match(gate.run, /--comment "\$RUNNER_TEMP\/vdpa-lab\/comment\.md"/);
  assert.ok(steps.find((s) => s.id === 'comment')!.with.script.includes(`'${COMMENT_MARKER}'`), 'the comment step looks for the marker gate --comment writes');
});

test('the example workflow uses the action with inputs it declares, and the permissions its steps need', () => {
  const steps: Yaml[] = example.jobs.gate.steps;
  assert.ok(steps[0].uses.startsWith('actions/checkout@'));
  const use = steps.find((s) => s.uses === './')!;
  for (const k of Object.keys(use.with)) assert.ok(action.inputs[k], `action.yml declares input ${k}`);
  assert.ok(existsSync(join(ROOT, use.with.workload)) && existsSync(join(ROOT, use.with.baseline)));
  assert.equal(example.permissions['pull-requests'], 'write');
  assert.equal(example.permissions.contents, 'write');
  assert.ok(example.on.pull_request !== undefined && example.on.push.branches.includes('main'));
});

test('the GitLab template: every vdpa-lab command exists with its flags; the MR note script it calls is there', () => {
  const job = gitlab['vdpa-lab'];
  const script = (job.script as string[]).join('\n');
  const commands = checkScript('gitlab-vdpa-lab.yml', script).map((p) => p.join(' '));
  assert.deepEqual(commands, ['run', 'gate', 'report', 'history add', 'history show']);
  assert.equal(job.artifacts.reports.junit, 'vdpa-lab-ci/gate.xml');
  assert.match(script, /node docs\/ci\/gitlab-mr-note\.mjs vdpa-lab-ci\/comment\.md/);
  assert.ok(existsSync(join(ROOT, 'docs/ci/gitlab-mr-note.mjs')));
});

test('gitlab-mr-note.mjs posts the comment as an MR note, then updates that note (found by the marker)', async () => {
  const notes: { id: number; body: string }[] = [{ id: 1, body: 'someone else' }];
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      assert.equal(req.headers['private-token'], 'secret');
      if (req.method === 'POST') notes.push({ id: notes.length + 1, body: JSON.parse(data).body });
      if (req.method === 'PUT') notes.find((n) => req.url!.endsWith(`/notes/${n.id}`))!.body = JSON.parse(data).body;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.method === 'GET' ? notes : {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = tempDir('ci-loop');
  const comment = join(dir, 'comment.md');
  const note = (body: string) =>
    new Promise<number | null>((resolve) => {
      writeFileSync(comment, body);
      const env = { ...process.env, CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4`, CI_PROJECT_ID: '9', CI_MERGE_REQUEST_IID: '3', VDPA_LAB_API_TOKEN: 'secret' };
      spawn(process.execPath, [join(ROOT, 'docs/ci/gitlab-mr-note.mjs'), comment], { env, stdio: 'ignore' }).on('close', resolve);
    });
  try {
    assert.equal(await note(`**vdpa-lab gate: pass** — first\n${COMMENT_MARKER}\n`), 0);
    assert.equal(await note(`**vdpa-lab gate: FAIL** — second\n${COMMENT_MARKER}\n`), 0);
  } finally {
    server.close();
  }
  assert.equal(notes.length, 2, 'one note of ours');
  assert.match(notes[1].body, /^\*\*vdpa-lab gate: FAIL\*\* — second/);
  assert.deepEqual(calls.filter((c) => !c.startsWith('GET')), ['POST /api/v4/projects/9/merge_requests/3/notes', 'PUT /api/v4/projects/9/merge_requests/3/notes/2']);
});

// --- The example workflow, run here ---------------------------------------------------------------
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** A scratch PR-sized workload: 2 cells of 32 MiB, timed 3 times. */
const TINY = { schema: 1, name: 'tiny', measure: { samples: 3 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim', queuePairs: 1 }, kernel: 'reset-map', flow: ['workaround', 'persist'], events: ['boot', 'guest-reset*2', 'close'] } };

interface ActionRun {
  temp: string;
  status: number | undefined;
  steps: Map<string, number | 'skipped' | 'uses'>;
}

/**
 * action.yml's shell steps as a runner runs them (bash -eo pipefail, the
 * GITHUB_* files, `${{ inputs.* }}` from the workflow's `with:`), with the lab
 * at GITHUB_ACTION_PATH. Steps that `uses:` another action are GitHub's (setup,
 * upload, the comment API) and are not run; `install` is skipped: the lab is built.
 */
function runAction(workspace: string, event: 'push' | 'pull_request', sha: string, only?: string[]): ActionRun {
  const temp = tempDir('ci-runner');
  const files = join(temp, '_files');
  mkdirSync(files);
  const inputs: Record<string, string> = Object.fromEntries(Object.entries(action.inputs as Record<string, Yaml>).map(([k, v]) => [k, String(v.default ?? '')]));
  Object.assign(inputs, example.jobs.gate.steps.find((s: Yaml) => s.uses === './').with);
  const expr = (v: string) => v.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, k: string) => inputs[k]);
  const env: Record<string, string> = { ...(process.env as Record<string, string>), GITHUB_ACTION_PATH: ROOT, GITHUB_WORKSPACE: workspace, RUNNER_TEMP: temp, GITHUB_SHA: sha, GITHUB_EVENT_NAME: event };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY']) writeFileSync((env[f] = join(files, f)), '');
  const steps = new Map<string, number | 'skipped' | 'uses'>();
  let failed = false;
  for (const s of action.runs.steps as Yaml[]) {
    if (s.uses || s.id === 'install' || (only && !only.includes(s.id))) {
      steps.set(s.id ?? s.uses, 'uses');
      continue;
    }
    assert.ok(s.if === undefined || s.if === 'always()', `step ${s.id}: this runner evaluates no other condition`);
    if (failed && s.if !== 'always()') {
      steps.set(s.id, 'skipped');
      continue;
    }
    const extra = readFileSync(env.GITHUB_PATH, 'utf8').split('\n').filter(Boolean);
    const stepEnv = { ...env, ...Object.fromEntries(Object.entries((s.env ?? {}) as Record<string, string>).map(([k, v]) => [k, expr(v)])), PATH: [...extra, env.PATH].join(':') };
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', s.run], { cwd: workspace, env: stepEnv, encoding: 'utf8' });
    steps.set(s.id, r.status ?? -1);
    if (r.status !== 0 && s.id !== 'verdict') assert.fail(`step ${s.id} exited ${r.status}: ${r.stderr}`);
    failed ||= r.status !== 0;
  }
  return { temp, status: steps.get('verdict') as number | undefined, steps };
}

/** action.yml's comment step, run against a fake GitHub API: the comments of one PR. */
async function postComment(temp: string, comments: { id: number; body: string }[]): Promise<void> {
  const script = (action.runs.steps as Yaml[]).find((s) => s.id === 'comment')!.with.script as string;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const github = {
    paginate: async () => comments,
    rest: {
      issues: {
        listComments: {},
        updateComment: async (p: { comment_id: number; body: string }) => (comments.find((c) => c.id === p.comment_id)!.body = p.body),
        createComment: async (p: { body: string }) => comments.push({ id: comments.length + 100, body: p.body }),
      },
    },
  };
  const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 7 } };
  await new AsyncFunction('require', 'github', 'context', 'process', script)(createRequire(import.meta.url), github, context, { env: { RUNNER_TEMP: temp } });
}

test('the example workflow on two commits: a history of two points, a trend chart, and a PR comment whose first line is the verdict', async () => {
  const dir = tempDir('ci-loop');
  const origin = join(dir, 'origin.git');
  git(dir, 'init', '--quiet', '--bare', origin);
  const ws = join(dir, 'ws');
  git(dir, 'init', '--quiet', '-b', 'main', ws);
  git(ws, 'remote', 'add', 'origin', origin);
  mkdirSync(join(ws, 'workloads'));
  mkdirSync(join(ws, 'reports'));
  writeFileSync(join(ws, 'workloads/default.json'), `${JSON.stringify(TINY, null, 2)}\n`);
  // The baseline, committed: made on another CI runner (an Intel one), as a baseline usually is.
  const made = spawnSync(process.execPath, [CLI, 'run', 'workloads/default.json', '--out', join(dir, 'baseline-run'), '--quiet'], { cwd: ws, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const baseline = JSON.parse(readFileSync(join(dir, 'baseline-run/results.json'), 'utf8'));
  baseline.provenance.cpu = 'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz';
  writeFileSync(join(ws, 'reports/baseline.json'), JSON.stringify(baseline));
  git(ws, 'add', '.');
  git(ws, 'commit', '--quiet', '-m', 'the workload and its baseline');
  git(ws, 'push', '--quiet', 'origin', 'main');
  const first = git(ws, 'rev-parse', 'HEAD');

  // Push to main: gated, and the first point of the history.
  const push1 = runAction(ws, 'push', first);
  assert.equal(push1.status, 0);
  assert.equal(push1.steps.get('history'), 0);

  // A PR commit: its run adds no history point (the history step alone, as a PR event runs it).
  writeFileSync(join(ws, 'CHANGES'), 'a change\n');
  git(ws, 'add', 'CHANGES');
  git(ws, 'commit', '--quiet', '-m', 'a change');
  const second = git(ws, 'rev-parse', 'HEAD');
  assert.equal(runAction(ws, 'pull_request', second, ['bin', 'history']).steps.get('history'), 0);
  assert.equal(git(dir, '--git-dir', origin, 'rev-list', '--count', 'vdpa-lab-history'), '1', 'a PR run pushes no history');

  // Merged and pushed: gated (the comment a PR run posts is the same file), and the second point,
  // read back from what the first run pushed.
  git(ws, 'push', '--quiet', 'origin', 'main');
  const push2 = runAction(ws, 'push', second);
  assert.equal(push2.status, 0);
  const comment = readFileSync(join(push2.temp, 'vdpa-lab/comment.md'), 'utf8');
  assert.match(comment.split('\n')[0], /^\*\*vdpa-lab gate: pass\*\* — 0 modeled changes, /);
  assert.match(comment, /Machine changed: cpu Intel\(R\) Xeon\(R\) Platinum 8370C CPU @ 2\.80GHz -> .*: simulator timings reported, not gated\./);
  assert.ok(existsSync(join(push2.temp, 'vdpa-lab/report/index.html')), 'the report the upload step uploads');
  assert.ok(existsSync(join(push2.temp, 'vdpa-lab/gate.xml')));
  const comments = [{ id: 1, body: 'LGTM' }];
  await postComment(push2.temp, comments);
  // The next push to the PR runs again: the same step finds the comment by its marker.
  await postComment(push2.temp, comments);
  assert.equal(comments.length, 2, 'one comment of ours, updated the second time');
  assert.equal(comments[1].body.split('\n')[0], comment.split('\n')[0]);
  const [file] = git(dir, '--git-dir', origin, 'ls-tree', '--name-only', 'vdpa-lab-history').split('\n');
  assert.match(file, /^tiny-[0-9a-f]{12}\.jsonl$/);
  const lines = git(dir, '--git-dir', origin, 'show', `vdpa-lab-history:${file}`).split('\n');
  assert.deepEqual(lines.map((l) => JSON.parse(l).commit), [first, second]);
  const trends = join(push2.temp, 'vdpa-lab/trends');
  const charts = readdirSync(trends).filter((f) => f.endsWith('.svg'));
  assert.equal(charts.length, 2, 'a trend chart per cell');
  assert.match(readFileSync(join(trends, charts[0]), 'utf8'), /^<svg/);
  assert.match(readFileSync(join(trends, 'history.md'), 'utf8'), /over 2 commits/);
  assert.match(readFileSync(join(push2.temp, '_files/GITHUB_STEP_SUMMARY'), 'utf8'), /# vdpa-lab history/, 'the trend table in the job summary');
});

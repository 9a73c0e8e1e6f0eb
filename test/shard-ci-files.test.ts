/**
 * docs/ci/: the GitHub Actions workflow and the Kubernetes manifests the
 * README shows, parsed with a YAML parser (not matched with regexes), and
 * checked for what makes a sharded sweep come back whole: a shard per job,
 * one shard count everywhere, every part reaching the merge, and a merge
 * that reports and gates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { cellsOfShard, parseShard } from '../src/runner/index.js';
import { loadWorkload } from '../src/workload/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CI = `${ROOT}docs/ci/`;

/** Every document of a YAML file, failing on any syntax error or warning. */
function parseYaml(name: string): Record<string, any>[] {
  const docs = parseAllDocuments(readFileSync(`${CI}${name}`, 'utf8'), { prettyErrors: true });
  assert.ok(Array.isArray(docs), `${name}: parsed`);
  for (const d of docs) {
    assert.deepEqual(d.errors.map(String), [], `${name}: YAML errors`);
    assert.deepEqual(d.warnings.map(String), [], `${name}: YAML warnings`);
  }
  return docs.map((d) => d.toJS() as Record<string, any>);
}

/** The lab command lines of a shell script: `node dist/src/cli/main.js CMD ...`. */
function labCommands(script: string): string[][] {
  return script
    .split('\n')
    .map((l) => l.trim().replace(/^exec /, ''))
    .filter((l) => l.startsWith('node dist/src/cli/main.js '))
    // A word may hold an Actions expression with spaces inside: `--shard ${{ matrix.shard }}/3`.
    .map((l) => (l.match(/(?:\$\{\{[^}]*\}\}|\S)+/g) ?? []).slice(2));
}

test('the README links every file of docs/ci/', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  for (const f of ['github-actions-sharded.yml', 'kubernetes-indexed-job.yaml', 'kubernetes-merge-job.yaml', 'Dockerfile']) {
    assert.ok(readme.includes(`docs/ci/${f}`), `README names docs/ci/${f}`);
  }
});

test('GitHub Actions: a matrix job per shard uploads its results, and a merge job merges, reports and gates them', () => {
  const [wf] = parseYaml('github-actions-sharded.yml');
  const { shard, merge } = wf.jobs;
  const matrix: number[] = shard.strategy.matrix.shard;
  assert.deepEqual(matrix, Array.from({ length: matrix.length }, (_, k) => k + 1), 'shards numbered 1..N');
  const runStep = shard.steps.find((s: { run?: string }) => s.run?.includes('main.js run '));
  const [command] = labCommands(runStep.run);
  assert.equal(command[0], 'run');
  const shardArg = command[command.indexOf('--shard') + 1];
  assert.equal(shardArg, '${{ matrix.shard }}/${{ strategy.job-total }}', 'N is the matrix size, so the two cannot drift');
  // Substituted as Actions would, every job's --shard parses and the jobs cover the workload.
  const workload = loadWorkload(`${ROOT}${wf.env.WORKLOAD}`);
  const covered = matrix.flatMap((i) => cellsOfShard(workload.cells, parseShard(`${i}/${matrix.length}`, {})).map((c) => c.id));
  assert.deepEqual(covered.sort(), workload.cells.map((c) => c.id).sort());
  const out = command[command.indexOf('--out') + 1];
  const upload = shard.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact@'));
  assert.equal(upload.with.path, `${out}/results.json`, 'the shard uploads the results.json its run wrote');
  assert.match(upload.with.name, /\$\{\{ matrix\.shard \}\}/, 'one artifact per shard');

  assert.ok([merge.needs].flat().includes('shard'), 'merge waits for every shard job');
  const download = merge.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/download-artifact@'));
  assert.equal(download.with.pattern, upload.with.name.replace('${{ matrix.shard }}', '*'));
  const commands = merge.steps.flatMap((s: { run?: string }) => (s.run ? labCommands(s.run) : []));
  assert.deepEqual(commands.map((c: string[]) => c[0]), ['merge', 'report', 'gate']);
  const [mergeCmd, reportCmd, gateCmd] = commands;
  assert.equal(mergeCmd[1], `${download.with.path}/${upload.with.name.replace('${{ matrix.shard }}', '*')}`, 'merge reads every downloaded shard');
  const merged = `${mergeCmd[mergeCmd.indexOf('--out') + 1]}/results.json`;
  assert.equal(reportCmd[1], merged);
  assert.equal(gateCmd[gateCmd.indexOf('--current') + 1], merged);
  assert.ok(existsSync(`${ROOT}${wf.env.BASELINE}`), 'the baseline the gate reads is committed');
});

test('Kubernetes: an Indexed Job runs --shard k8s with VDPA_LAB_SHARD_COUNT = completions on a shared volume that the merge Job reads', () => {
  const docs = parseYaml('kubernetes-indexed-job.yaml');
  const pvc = docs.find((d) => d.kind === 'PersistentVolumeClaim')!;
  const job = docs.find((d) => d.kind === 'Job')!;
  assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'pods on several nodes mount it');
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.spec.completionMode, 'Indexed');
  const [container] = job.spec.template.spec.containers;
  const count = container.env.find((e: { name: string }) => e.name === 'VDPA_LAB_SHARD_COUNT');
  assert.equal(Number(count.value), job.spec.completions);
  assert.equal(typeof count.value, 'string', 'env values are strings in Kubernetes');
  const [script] = container.args;
  const [run] = labCommands(script);
  assert.equal(run[0], 'run');
  assert.equal(run[run.indexOf('--shard') + 1], 'k8s');
  assert.ok(run.includes('--resume'), 'a retried pod continues its shard');
  // Each index gets its own directory on the volume.
  const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'results');
  assert.match(script, new RegExp(`out="${mount.mountPath}/shard-\\$\\(\\(JOB_COMPLETION_INDEX \\+ 1\\)\\)-of-\\$VDPA_LAB_SHARD_COUNT"`));
  assert.equal(job.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'results').persistentVolumeClaim.claimName, pvc.metadata.name);
  // Every index's --shard k8s parses, and the pods cover the workload.
  const workload = loadWorkload(`${ROOT}${run[1]}`);
  const covered = Array.from({ length: job.spec.completions }, (_, i) =>
    cellsOfShard(workload.cells, parseShard('k8s', { JOB_COMPLETION_INDEX: String(i), VDPA_LAB_SHARD_COUNT: count.value })),
  ).flat();
  assert.equal(new Set(covered.map((c) => c.id)).size, workload.cells.length);

  const [mergeJob] = parseYaml('kubernetes-merge-job.yaml');
  assert.equal(mergeJob.kind, 'Job');
  const [mc] = mergeJob.spec.template.spec.containers;
  assert.equal(mergeJob.spec.template.spec.volumes[0].persistentVolumeClaim.claimName, pvc.metadata.name);
  const commands = labCommands(mc.args[0]);
  assert.deepEqual(commands.map((c) => c[0]), ['merge', 'report', 'gate']);
  assert.equal(commands[0][1], `${mc.volumeMounts[0].mountPath}/shard-*-of-*`, 'merge reads every shard directory');
  assert.ok(existsSync(`${ROOT}${commands[2][commands[2].indexOf('--baseline') + 1]}`), 'the baseline is in the image');
});

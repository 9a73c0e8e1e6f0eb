/**
 * `vdpa-lab exec SCRIPT...`: run scripted vhost-vdpa sessions against the
 * kernel model, a real device, or a real kernel in a VM, or against two of
 * them side by side (`--compare`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { KERNEL_GENERATIONS, NAMED_KERNELS, PARENT_KINDS, resolveKernel, Session, type ParentKind } from '../kernel/index.js';
import { BACKEND_FORMS, parseBackend, parseComparePair, type BackendSpec } from '../real/backend-spec.js';
import { compareAnswers } from '../real/compare.js';
import type { ScriptSource } from '../real/model-run.js';
import { modelOverridesFor, runScripts } from '../real/run-scripts.js';
import { createBackend, type Backend, type BackendOptions } from '../backends/index.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';
import { checkClock, choiceList, clockOption, positiveInt } from './parse-options.js';
import { describeRun, formatComparison } from './exec-compare-text.js';

function one<T extends string>(flag: string, allowed: readonly T[]) {
  const list = choiceList(flag, allowed);
  return (text: string): T => {
    const v = list(text);
    if (v.length !== 1) throw new InputError(flag, 'takes exactly one value');
    return v[0];
  };
}

/** --kernel: any name src/kernel/versions.ts resolves, checked here so the error names the flag. */
function kernelOption(text: string): string {
  try {
    resolveKernel(text);
  } catch (e) {
    if (e instanceof InputError) throw new InputError('--kernel', e.reason);
    throw e;
  }
  return text;
}

interface ExecOptions {
  kernel?: string;
  parent?: ParentKind;
  backend?: BackendSpec;
  compare?: [BackendSpec, BackendSpec];
  accel: 'auto' | 'kvm' | 'tcg';
  clock: 'wall' | 'icount';
  timeout?: number;
  json?: boolean;
  quiet?: boolean;
}

function readScripts(paths: string[]): ScriptSource[] {
  if (paths.filter((p) => p === '-').length > 1) throw new InputError('<script>', 'standard input (-) can be read once');
  return paths.map((p) => {
    try {
      return { name: p, text: readFileSync(p === '-' ? 0 : p, 'utf8') };
    } catch (e) {
      throw new InputError(p, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  });
}

/** Today's path: one script on the model, each answer printed as its line runs. */
function streamOnModel(script: ScriptSource, o: ExecOptions): void {
  const session = new Session({ kernel: o.kernel, parent: o.parent });
  const lines = script.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Answers go out as each line runs: a bad line later leaves these printed.
    const answer = session.runLine(lines[i], i + 1);
    if (answer) process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

function backendOptions(o: ExecOptions): BackendOptions {
  return {
    accel: o.accel,
    clock: o.clock,
    timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
    onProgress: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  };
}

const overridesOf = (o: ExecOptions) => ({ kernel: o.kernel, parent: o.parent });

async function runOne(backend: Backend, scripts: ScriptSource[], o: ExecOptions): Promise<number> {
  const run = await runScripts(backend, scripts, { overrides: overridesOf(o) });
  if (!o.quiet) process.stderr.write(`# ${describeRun(run)}\n`);
  let failed = false;
  for (const s of run.scripts) {
    for (const a of s.answers) process.stdout.write(JSON.stringify(scripts.length > 1 ? { script: s.name, ...a } : a) + '\n');
    if (s.error) {
      process.stderr.write(`error: ${s.name}: ${s.error}\n`);
      failed = true;
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

async function runCompare([sa, sb]: [BackendSpec, BackendSpec], scripts: ScriptSource[], o: ExecOptions): Promise<number> {
  const [ba, bb] = [createBackend(sa, backendOptions(o)), createBackend(sb, backendOptions(o))];
  // The model plays the real kernel of the pair: its version and default entry limit.
  const real = (await bb.open()) ?? (await ba.open());
  const opts = { overrides: modelOverridesFor(real, overridesOf(o)) };
  const a = await runScripts(ba, scripts, opts);
  const b = await runScripts(bb, scripts, opts);
  const results = scripts.map((s, i) => compareAnswers(s.name, a.scripts[i].answers, b.scripts[i].answers));
  const errors = [...a.scripts, ...b.scripts].filter((s) => s.error);
  if (o.json) {
    const side = (r: typeof a) => ({ backend: r.backend, kernel: r.kernel, accel: r.accel ?? null, wallMs: Math.round(r.wallMs) });
    process.stdout.write(JSON.stringify({ backends: [side(a), side(b)], scripts: results, errors: errors.map((s) => ({ script: s.name, error: s.error })) }, null, 2) + '\n');
  } else {
    process.stdout.write(formatComparison(a, b, results));
  }
  for (const s of errors) process.stderr.write(`error: ${s.name}: ${s.error}\n`);
  return results.some((c) => c.differences > 0) || errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run scripted vhost-vdpa sessions (JSON lines) against the kernel model or a real kernel; one JSON answer per line')
    .argument('<script...>', '.jsonl files, or - for standard input')
    .option('--kernel <version>', `override the open line's kernel on the model: a version (${NAMED_KERNELS.join(', ')}, any uname -r) or ${KERNEL_GENERATIONS.join(', ')}`, kernelOption)
    .option('--parent <parent>', `override the open line's parent (${PARENT_KINDS.join(', ')})`, one('--parent', PARENT_KINDS))
    .option('--backend <backend>', `who answers: ${BACKEND_FORMS} (default: model)`, (t) => parseBackend(t))
    .option('--compare <a,b>', 'run on two backends and compare every line (ret, errno, pinnedVm, page faults of a map, offered features); exit 1 on any difference', parseComparePair)
    .option('--accel <accel>', 'vm backend: auto (KVM if it really boots here, else TCG), kvm or tcg', one('--accel', ['auto', 'kvm', 'tcg'] as const), 'auto')
    .option('--clock <clock>', "vm backend: the guest clock the probe times by: wall, or icount (1 ns per guest instruction: the same on every run; TCG only)", clockOption, 'wall')
    .option('--timeout <seconds>', 'vm backend: give up on the VM when it goes this long without progress (booting, finishing a script)', positiveInt('--timeout'))
    .option('--json', 'with --compare: print the paired answers as JSON')
    .option('--quiet', 'no progress or backend line on stderr')
    .addHelpText(
      'after',
      `
Each line is one operation, e.g.
  {"op":"open","parent":"mlx5","kernel":"reset-map"}
  {"op":"mmap","uaddr":"0x7f0000000000","size":"0x40000000","backing":"thp"}
  {"op":"set_owner"}
  {"op":"update","iova":"0x0","size":"0x40000000","uaddr":"0x7f0000000000","perm":"rw"}
  {"op":"set_status","status":0}
  {"op":"dump"}
Addresses and sizes are strings (0x hex or decimal) so 64-bit values stay exact.
A real kernel (device: or vm:) adds "ns" (time in the op's syscalls) and "pinnedVm"
(VmPin after the op, in pages) to every answer. IOTLB messages answer "faults": the
page faults the write took (the model counts folios its pins faulted in; the probe reads
the thread's min_flt around the write); mmap's "populate": false leaves RAM without frames
as QEMU's default prealloc=off does; munmap (uaddr, size) unmaps (the model: whole regions
with no pinned page only), as QEMU 8.1+ does with each shadow vring area at a stop. "cause" is null on a real kernel (the kernel does
not expose it) and ops it cannot answer (check, the device view) say "unsupported".
The vm backend needs \`vdpa-lab kernels prepare\` once; it boots one VM for all scripts.
Exit codes: 0 ran (kernel errors are answers) and, with --compare, every line agreed;
1 a difference, or the backend failed (no QEMU, VM died); 2 malformed line or option.

Examples:
  vdpa-lab exec workloads/sessions/legacy-reset-wipes.jsonl
  vdpa-lab exec workloads/sessions/persist-keeps-maps.jsonl --parent vdpa_sim
  vdpa-lab exec workloads/sessions/errno-paths.jsonl --backend vm:6.12
  vdpa-lab exec workloads/sessions/*.jsonl --parent vdpa_sim --compare model,vm:6.12
  sudo vdpa-lab exec my-script.jsonl --compare model,device:/dev/vhost-vdpa-0 --json`,
    )
    .action(
      action(async (paths: string[], o: ExecOptions) => {
        if (o.backend && o.compare) throw new InputError('--compare', 'names both backends itself; drop --backend');
        checkClock(o.clock, o.accel, (o.compare?.find((b) => b.kind === 'vm') ?? o.backend)?.kind);
        const scripts = readScripts(paths);
        if (o.compare) return runCompare(o.compare, scripts, o);
        // No --backend: the model, one script streamed, each answer printed as its line runs.
        if (!o.backend && scripts.length === 1 && !o.json) return streamOnModel(scripts[0], o);
        return runOne(createBackend(o.backend ?? { kind: 'model' }, backendOptions(o)), scripts, o);
      }),
    );
}

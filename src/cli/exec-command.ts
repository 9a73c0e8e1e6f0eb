/** `vdpa-lab exec SCRIPT.jsonl`: run a scripted vhost-vdpa session against the kernel model. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { KERNEL_GENERATIONS, PARENT_KINDS, Session, type KernelGeneration, type ParentKind } from '../kernel/index.js';
import { action } from './run-action.js';
import { choiceList } from './parse-options.js';

function one<T extends string>(flag: string, allowed: readonly T[]) {
  const list = choiceList(flag, allowed);
  return (text: string): T => {
    const v = list(text);
    if (v.length !== 1) throw new InputError(flag, 'takes exactly one value');
    return v[0];
  };
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a scripted vhost-vdpa session (JSON lines) against the kernel model; one JSON answer per line')
    .argument('<script>', 'a .jsonl file, or - for standard input')
    .option('--kernel <generation>', `override the open line's kernel (${KERNEL_GENERATIONS.join(', ')})`, one('--kernel', KERNEL_GENERATIONS))
    .option('--parent <parent>', `override the open line's parent (${PARENT_KINDS.join(', ')})`, one('--parent', PARENT_KINDS))
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
Exit codes: 0 script ran (kernel errors are answers), 2 malformed line (named, with its field).

Examples:
  vdpa-lab exec workloads/sessions/legacy-reset-wipes.jsonl
  vdpa-lab exec workloads/sessions/persist-keeps-maps.jsonl --parent vdpa_sim`,
    )
    .action(
      action((script: string, o: { kernel?: KernelGeneration; parent?: ParentKind }) => {
        let text: string;
        try {
          text = readFileSync(script === '-' ? 0 : script, 'utf8');
        } catch (e) {
          throw new InputError(script, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        const session = new Session({ kernel: o.kernel, parent: o.parent });
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          // Answers go out as each line runs: a bad line later leaves these printed.
          const answer = session.runLine(lines[i], i + 1);
          if (answer) process.stdout.write(JSON.stringify(answer) + '\n');
        }
      }),
    );
}

/**
 * What the doc-test (test/docs-commands.test.ts) reads: the fenced blocks of a
 * markdown file, the commands in a ```sh block, the Examples: of a --help
 * text, the options a --help lists, and the command paths and flags one shell
 * line hands to vdpa-lab. Plain text parsing only; nothing here runs anything.
 */

/** A fenced block: its info string split into words (```sh real-kernel -> ['sh', 'real-kernel']). */
export interface Block {
  info: string[];
  lines: string[];
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

export function fencedBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  let open: Block | null = null;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^```(.*)$/.exec(text);
    if (fence && !open) open = { info: fence[1].trim().split(/\s+/).filter(Boolean), lines: [], line: i + 1 };
    else if (fence && open) {
      out.push(open);
      open = null;
    } else if (open) open.lines.push(text);
  });
  return out;
}

/** The commands of a shell block: `\`-continued lines joined, blank and comment lines and trailing comments dropped. */
export function shellCommands(lines: string[]): string[] {
  const joined = lines.join('\n').replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * The example commands of a --help text: the indented lines after "Examples:"
 * up to the next unindented line. A line's description follows two or more
 * spaces or a `#` comment, as the help texts write them.
 */
export function helpExamples(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Examples:');
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(l)) break;
    out.push(l.trim().split(/\s{2,}/)[0].replace(/\s+#.*$/, ''));
  }
  return out;
}

/** The long and short options a --help text lists under Options: (without --help and --version). */
export function helpOptions(help: string): { long: Set<string>; short: Set<string> } {
  const long = new Set<string>();
  const short = new Set<string>();
  const options = help.split(/^Options:$/m)[1]?.split(/^\S/m)[0] ?? '';
  for (const m of options.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)) {
    if (m[1]) short.add(m[1]);
    long.add(m[2]);
  }
  for (const f of ['--help', '--version']) long.delete(f);
  for (const f of ['-h', '-V']) short.delete(f);
  return { long, short };
}

/** The subcommand names a --help text lists under Commands: (without help). */
export function helpSubcommands(help: string): string[] {
  const commands = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return [...commands.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

/** One vdpa-lab invocation inside a shell line: its command path (e.g. ['bench', 'pin']) and the flags it passes. */
export interface Invocation {
  path: string[];
  flags: string[];
}

/**
 * Every vdpa-lab invocation in a shell line (pipelines and && chains split),
 * given the set of known command paths ('run', 'bench pin', ...).
 */
export function invocations(line: string, knownPaths: Set<string>): Invocation[] {
  const out: Invocation[] = [];
  for (const segment of line.split(/\|\||&&|\||;/)) {
    const words = segment.trim().split(/\s+/);
    const at = words.indexOf('vdpa-lab');
    if (at < 0) continue;
    const path: string[] = [];
    for (const w of words.slice(at + 1)) {
      if (!knownPaths.has([...path, w].join(' '))) break;
      path.push(w);
    }
    const flags = words.slice(at + 1 + path.length).filter((w) => /^--?[a-zA-Z][\w-]*(=.*)?$/.test(w)).map((w) => w.replace(/=.*$/, ''));
    out.push({ path, flags });
  }
  return out;
}

/**
 * The README's command summary (a ```text commands block): per command path,
 * every `--flag` its entries name. An entry starts at a `vdpa-lab` line and
 * continues over indented lines; a command may have several entries.
 */
export function summaryFlags(lines: string[], knownPaths: Set<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let current: Set<string> | null = null;
  for (const l of lines) {
    if (l.startsWith('vdpa-lab ')) {
      const path = invocations(l, knownPaths)[0]?.path.join(' ') ?? '';
      current = out.get(path) ?? new Set<string>();
      out.set(path, current);
    }
    for (const m of l.matchAll(/(?<![\w-])--[a-z][\w-]*/g)) current?.add(m[0]);
  }
  return out;
}

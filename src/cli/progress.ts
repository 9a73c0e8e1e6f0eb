/**
 * Progress on stderr: one rewritten line on an interactive terminal, plain
 * lines elsewhere, nothing with --quiet. Stdout stays clean for --json.
 *
 * The rewritten line is cut to the terminal's width: a line that wrapped
 * would leave its first rows behind on every rewrite (seen at 80 columns).
 * Under CI (CI set) or TERM=dumb there are no escape sequences, only lines.
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

/** Fits one line into `columns` (the last column stays free so the cursor never wraps). */
export function fitLine(message: string, columns: number): string {
  const line = message.replace(/[\r\n]+/g, ' ');
  const room = Math.max(columns - 1, 1);
  const chars = [...line];
  return chars.length <= room ? line : `${chars.slice(0, room - 1).join('')}…`;
}

/** Rewriting a line needs a terminal that understands escapes, and no CI log that would keep every frame. */
export function canRewrite(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  return !!isTTY && !env.CI && env.TERM !== 'dumb';
}

export function makeProgress(quiet = false, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  if (quiet) return { update() {}, done() {} };
  if (canRewrite(env, stream.isTTY)) {
    let shown = false;
    return {
      update(message) {
        stream.write(`\r\x1b[2K${fitLine(message, stream.columns || 80)}`);
        shown = true;
      },
      done() {
        if (shown) stream.write('\r\x1b[2K');
      },
    };
  }
  return {
    update(message) {
      stream.write(`${message}\n`);
    },
    done() {},
  };
}

/**
 * Progress on stderr: a rewritten line on a TTY, plain lines elsewhere (CI),
 * nothing with --quiet. Stdout stays clean for --json.
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function makeProgress(quiet = false): Progress {
  if (quiet) return { update() {}, done() {} };
  if (process.stderr.isTTY) {
    let shown = false;
    return {
      update(message) {
        process.stderr.write(`\r\x1b[2K${message}`);
        shown = true;
      },
      done() {
        if (shown) process.stderr.write('\r\x1b[2K');
      },
    };
  }
  return {
    update(message) {
      process.stderr.write(`${message}\n`);
    },
    done() {},
  };
}

/**
 * Reading a JSON input file with errors a user can act on: the file named,
 * then why (unreadable, with its errno code; or not JSON). Layer-free, like
 * errors.ts: workloads, profiles, results and configs all come through here.
 *
 * `-` names standard input. Its bytes are read once and kept in memory (a
 * pipe cannot be read twice, and stdin may be a socket no path can open):
 * no temp file is written, so none can be left behind.
 */
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** The path that means standard input. */
export const STDIN_NAME = '-';

/**
 * How deep arrays and objects may nest in any JSON input. The lab's deepest
 * file (a results file) nests about 8 levels; validators and JSON.stringify
 * recurse, so a line nested 20,000 deep would overflow the stack in them.
 */
export const MAX_JSON_DEPTH = 64;

let stdinBytes: Buffer | null = null;

/** The bytes of an input path, `-` being standard input (read once, whatever asks). */
export function readInput(path: string): Buffer {
  if (path !== STDIN_NAME) return readFileSync(path);
  stdinBytes ??= readFileSync(0);
  return stdinBytes;
}

/** The deepest nesting of arrays and objects in `text` (strings skipped), stopping once past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** JSON.parse, refusing nesting deeper than MAX_JSON_DEPTH (a SyntaxError, as any other malformed JSON). */
export function parseJson(text: string): unknown {
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new SyntaxError(`nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
  return JSON.parse(text);
}

export function readJsonFile(path: string, what: string): { text: string; value: unknown } {
  const name = path === STDIN_NAME ? 'stdin' : path;
  let text: string;
  try {
    text = readInput(path).toString('utf8');
  } catch (e) {
    throw new InputError(name, `cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // An empty pipe means the command before it failed or printed nothing: say so,
  // rather than calling nothing "not valid JSON" (issue #28).
  if (path === STDIN_NAME && text.length === 0) throw new InputError(`${what} (-)`, 'no input on stdin: the command before the pipe printed nothing (did it fail?)');
  try {
    return { text, value: parseJson(text) };
  } catch (e) {
    throw new InputError(name, `not valid JSON, truncated or corrupt? (${(e as Error).message})`);
  }
}

/**
 * Reading a JSON input file with errors a user can act on: the file named,
 * then why (unreadable, with its errno code; or not JSON). Layer-free, like
 * errors.ts: workloads, profiles, results and configs all come through here.
 */
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

export function readJsonFile(path: string, what: string): { text: string; value: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(path, `cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    throw new InputError(path, `not valid JSON, truncated or corrupt? (${(e as Error).message})`);
  }
}

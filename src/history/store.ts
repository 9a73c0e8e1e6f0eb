/**
 * Where a history lives: a directory of JSON-lines files (one per workload
 * hash) that `history add` made (its marker names it), or a git branch
 * (git-store.ts) that CI runs push to and read from. Both hold the same files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { checkOwnDir, claimOutputDir, markerKind } from '../output-path.js';
import { isHistoryFileName, parseHistory, type HistoryRecord } from './record.js';

/** `git:BRANCH` names a branch; anything else is a directory. */
export const GIT_PREFIX = 'git:';

export interface HistoryFile {
  name: string;
  records: HistoryRecord[];
}

export interface HistoryStore {
  /** As the user named it, for messages. */
  readonly name: string;
  /** Every history file, parsed (a malformed line is refused). */
  read(): HistoryFile[];
  /** Appends one line to a file (created when missing). */
  append(file: string, line: string): void;
}

/** A history directory: `history add` creates it (with the lab's marker) and only ever appends to its files. */
export class DirStore implements HistoryStore {
  constructor(
    readonly name: string,
    private readonly flag: string,
  ) {}

  read(): HistoryFile[] {
    if (!existsSync(this.name)) throw new InputError(this.name, 'no such history directory (history add --into DIR makes one)');
    if (markerKind(this.name) !== 'history') throw new InputError(this.name, 'is not a history directory that vdpa-lab history add made (no history marker)');
    return readdirSync(this.name)
      .filter(isHistoryFileName)
      .sort()
      .map((name) => ({ name, records: parseHistory(readFileSync(join(this.name, name), 'utf8'), join(this.name, name)) }));
  }

  /** Checks that the directory may be written (new, empty, or a history's) without creating anything. */
  check(): void {
    checkOwnDir(this.name, this.flag, 'history');
  }

  append(file: string, line: string): void {
    const dir = claimOutputDir(this.name, this.flag, 'history');
    const path = join(dir, file);
    const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
    // Read, checked, then the whole file replaced atomically: a crash leaves the old file or the new one, never half a line.
    parseHistory(old, path);
    writeFileAtomic(path, `${old}${old === '' || old.endsWith('\n') ? '' : '\n'}${line}\n`);
  }
}

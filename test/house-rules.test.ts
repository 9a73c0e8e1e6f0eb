/**
 * The house rules of #24, checked on every `npm test`: no import circle
 * under src/ (type-only imports count: a circle of types still ties two
 * modules together), no file over 400 lines, no `as unknown as`. Each of
 * these held by review once and drifted after; a test keeps them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './support/probe.js';

const SRC = join(REPO, 'src');
const MAX_LINES = 400;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports and re-exports of one file, resolved to the .ts files they name. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"](\.[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts');
    out.push(existsSync(target) ? target : join(target.replace(/\.ts$/, ''), 'index.ts'));
  }
  for (const m of text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    out.push(resolve(dirname(file), m[1]).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every strongly connected set of more than one module (Tarjan), as repo-relative paths. */
export function importCircles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(set.map((f) => relative(REPO, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

const files = tsFiles(SRC);
const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

test('no import circle under src/, type-only imports included', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f, texts.get(f)!)]));
  assert.deepEqual(importCircles(graph), []);
});

test('the circle finder finds a two-module circle and a type-only one (so the check above can fail)', () => {
  const a = join(SRC, 'a.ts');
  const b = join(SRC, 'b.ts');
  assert.deepEqual(importsOf(a, "import type { VdpaLabError } from './errors.js';\n"), [join(SRC, 'errors.ts')]);
  assert.deepEqual(importCircles(new Map([[a, [b]], [b, [a]]])), [['src/a.ts', 'src/b.ts']]);
  assert.deepEqual(importCircles(new Map([[a, [b]], [b, []]])), []);
});

test(`no file under src/ is over ${MAX_LINES} lines`, () => {
  const long = files.filter((f) => texts.get(f)!.split('\n').length - 1 > MAX_LINES).map((f) => relative(REPO, f));
  assert.deepEqual(long, []);
});

test('no `as unknown as` under src/ (a cast that silences the type checker)', () => {
  const cast = files.filter((f) => /\bas unknown as\b/.test(texts.get(f)!)).map((f) => relative(REPO, f));
  assert.deepEqual(cast, []);
});

/**
 * The gate's verdict as JUnit XML, which CI systems show per test: one
 * testcase per compared cell, failed when one of its modeled figures
 * changed (or, with simulator gating, its wall time regressed); simulator
 * rows that only report are written to system-out.
 *
 * xmlbuilder2 writes the XML (escaping included); it is CommonJS and loads
 * a DOM, so it is required on first use: importing the gate (or the
 * package) does not pay for it.
 */
import { createRequire } from 'node:module';
import type { GateOutcome } from './compare.js';

type XmlBuilder2 = typeof import('xmlbuilder2');
let xmlbuilder2: XmlBuilder2 | null = null;
const builder = (): XmlBuilder2 => (xmlbuilder2 ??= createRequire(import.meta.url)('xmlbuilder2') as XmlBuilder2);

/**
 * Characters XML 1.0 cannot carry at all, not even escaped (its Char
 * production: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF).
 * A results file is untrusted input: a control character in a label would
 * make the whole report unreadable to the CI's parser, so it is dropped.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
export const xmlText = (s: string): string => s.replace(NOT_XML_CHAR, '');

const SUITES = '<testsuites name="vdpa-lab gate"';

/** Is `text` a verdict junitXml wrote? (An existing --junit file is replaced only then, or with --force.) */
export function isJunitVerdict(text: string): boolean {
  return text.startsWith('<?xml') && text.slice(0, 200).includes(SUITES);
}

export function junitXml(o: GateOutcome, cells: string[], opts: { simulatorGates: boolean }): string {
  const line = (r: GateOutcome['rows'][number]) => `${r.metric} (${r.kind}): ${r.baseline ?? '-'} -> ${r.current ?? '-'}, ${r.rule.startsWith(r.verdict) ? r.rule : `${r.verdict}: ${r.rule}`}`;
  const cases = cells.map((cell) => {
    const rows = o.rows.filter((r) => r.cell === cell);
    const failing = rows.filter((r) => r.kind === 'modeled' || (opts.simulatorGates && r.kind === 'simulator' && r.verdict === 'regressed'));
    return { cell, failing, reported: rows.filter((r) => !failing.includes(r)) };
  });
  const failures = cases.filter((c) => c.failing.length > 0).length;
  const doc = builder().create({ version: '1.0', encoding: 'UTF-8' });
  const suite = doc
    .ele('testsuites', { name: 'vdpa-lab gate', tests: String(cells.length), failures: String(failures) })
    .ele('testsuite', { name: 'vdpa-lab gate', tests: String(cells.length), failures: String(failures), errors: '0' });
  for (const { cell, failing, reported } of cases) {
    const tc = suite.ele('testcase', { classname: 'vdpa-lab.gate', name: xmlText(cell) });
    if (failing.length) {
      const type = failing.some((r) => r.kind === 'modeled') ? 'modeled-change' : 'simulator-regression';
      tc.ele('failure', { message: `${failing.length} figure(s) changed`, type }).txt(xmlText(failing.map(line).join('\n')));
    }
    if (reported.length) tc.ele('system-out').txt(xmlText(reported.map(line).join('\n')));
  }
  // Not pretty-printed: a testcase's failure follows its start tag, as CI parsers and the tests read it.
  return `${doc.end({ prettyPrint: false })}\n`;
}

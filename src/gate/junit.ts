/**
 * The gate's verdict as JUnit XML, which CI systems show per test: one
 * testcase per compared cell, failed when one of its modeled figures
 * changed (or, with simulator gating, its wall time regressed); simulator
 * rows that only report are written to system-out.
 */
import type { GateOutcome } from './compare.js';

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const SUITES = '<testsuites name="vdpa-lab gate"';

/** Is `text` a verdict junitXml wrote? (An existing --junit file is replaced only then, or with --force.) */
export function isJunitVerdict(text: string): boolean {
  return text.startsWith('<?xml') && text.slice(0, 200).includes(SUITES);
}

export function junitXml(o: GateOutcome, cells: string[], opts: { simulatorGates: boolean }): string {
  const cases = cells.map((cell) => {
    const rows = o.rows.filter((r) => r.cell === cell);
    const failing = rows.filter((r) => r.kind === 'modeled' || (opts.simulatorGates && r.kind === 'simulator' && r.verdict === 'regressed'));
    const line = (r: (typeof rows)[number]) => `${r.metric} (${r.kind}): ${r.baseline ?? '-'} -> ${r.current ?? '-'}, ${r.rule.startsWith(r.verdict) ? r.rule : `${r.verdict}: ${r.rule}`}`;
    const failure = failing.length ? `<failure message="${xml(`${failing.length} figure(s) changed`)}" type="${failing.some((r) => r.kind === 'modeled') ? 'modeled-change' : 'simulator-regression'}">${xml(failing.map(line).join('\n'))}</failure>` : '';
    const reported = rows.filter((r) => !failing.includes(r));
    const out = reported.length ? `<system-out>${xml(reported.map(line).join('\n'))}</system-out>` : '';
    return `  <testcase classname="vdpa-lab.gate" name="${xml(cell)}">${failure}${out}</testcase>`;
  });
  const failures = cases.filter((c) => c.includes('<failure')).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${SUITES} tests="${cells.length}" failures="${failures}">\n <testsuite name="vdpa-lab gate" tests="${cells.length}" failures="${failures}" errors="0">\n${cases.join('\n')}\n </testsuite>\n</testsuites>\n`;
}

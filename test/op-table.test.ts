/**
 * The op table (src/kernel/ops/) against the probe's C (native/ops.c and
 * the handlers it calls): the same ops in the same order, each op's case
 * makes the request the table names, and reads no field the table does not
 * allow. Fails when one side gains an op, a request or a field the other
 * does not have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_OPS, fieldsOf, isScriptOp, lineOf, PROBE_ONLY_OPS, probeRequestOf, SCRIPT_OPS, Session, type OpCall } from '../src/kernel/index.js';
import { REPO } from './support/probe.js';

const NATIVE = join(REPO, 'native');
const sources = readdirSync(NATIVE).filter((f) => f.endsWith('.c')).map((f) => readFileSync(join(NATIVE, f), 'utf8'));
const opsC = readFileSync(join(NATIVE, 'ops.c'), 'utf8');

/** The body of a C function defined in native/*.c (from its name to its closing brace at column 0). */
function cFunction(name: string): string {
  for (const src of sources) {
    const m = new RegExp(`^[a-z][^\\n;]*\\b${name}\\([^;]*?\\n\\{`, 'm').exec(src);
    if (m) return src.slice(m.index, src.indexOf('\n}', m.index) + 2);
  }
  return '';
}

/** The C of one op's case in run(), and of the native functions it calls, four calls deep. */
function probeCode(op: string): string {
  const run = cFunction('run');
  const label = `case OP_${op.toUpperCase()}:`;
  const at = run.indexOf(label);
  if (at < 0) return '';
  // The case runs to its return; cases that share a body (suspend/resume) fall into the next one.
  const end = run.indexOf('return;', at);
  const parts = [run.slice(at, end < 0 ? undefined : end)];
  const seen = new Set(['run']);
  for (let depth = 0; depth < 4; depth++) {
    for (const name of parts.flatMap((code) => [...code.matchAll(/\b([a-z_]+)\(/g)].map((m) => m[1]))) {
      if (seen.has(name)) continue;
      seen.add(name);
      const body = cFunction(name);
      if (body) parts.push(body);
    }
  }
  return parts.join('\n');
}

test('the probe knows the model\'s ops in the table\'s order, then its own', () => {
  const list = /static const char \*const ops\[\] = \{([\s\S]*?)\};/.exec(opsC);
  assert.ok(list, 'native/ops.c has its ops[] list');
  const names = [...list[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(names, [...SCRIPT_OPS, ...PROBE_ONLY_OPS]);
  const enumNames = [...(/enum op \{([\s\S]*?)\};/.exec(opsC)?.[1] ?? '').matchAll(/OP_([A-Z_]+)/g)].map((m) => m[1].toLowerCase());
  assert.deepEqual(enumNames, [...names, 'count'], 'enum op follows ops[]');
});

test('each op\'s case in the probe makes the request the table names', () => {
  for (const op of SCRIPT_OPS) {
    const code = probeCode(op);
    assert.notEqual(code, '', `native/ops.c has no case OP_${op.toUpperCase()}`);
    const request = probeRequestOf(op);
    const pattern = /^[a-z_]+$/.test(request) && request !== 'unsupported' ? new RegExp(`\\b${request}\\(`) : new RegExp(`\\b${request}\\b`);
    assert.match(code, pattern, `${op}: the table says the probe makes ${request}`);
  }
});

test('the probe reads no field of an op that the table does not allow', () => {
  for (const op of SCRIPT_OPS) {
    const read = new Set([...probeCode(op).matchAll(/field_[a-z_0-9]+\(l, "([A-Za-z]+)"/g)].map((m) => m[1]));
    // iotlb-write.c reads the message fields by a helper over the line.
    for (const field of read) assert.ok(fieldsOf(op).includes(field), `${op}: the probe reads ${field}, the table allows ${fieldsOf(op).join(', ')}`);
  }
});

test('every device op writes back as a line its reader takes, unchanged (recorder and parser agree)', () => {
  const session = new Session();
  session.runLine(JSON.stringify({ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }), 1);
  const calls: OpCall[] = [
    { op: 'set_owner' },
    { op: 'get_backend_features' },
    { op: 'set_backend_features', bits: 0b110n },
    { op: 'update', msg: { msgType: 2, type: 2, asid: 1, iova: 0x1000n, size: 0x2000n, uaddr: 0x7f00_0000_0000n, perm: 3 } },
    { op: 'iotlb', msg: { msgType: 1, type: 9, asid: 0, iova: 0n, size: 0n, uaddr: 0n, perm: 0 } },
    { op: 'set_status', status: 11 },
    { op: 'set_group_asid', group: 1, asid: 1 },
    { op: 'set_features', features: 0x3_0000_0000n },
    { op: 'get_vring_group', index: 2 },
    { op: 'get_vqs_count' },
    { op: 'close' },
  ];
  for (const call of calls) {
    const line = lineOf(call);
    assert.ok(isScriptOp(line.op));
    for (const field of Object.keys(line)) if (field !== 'op') assert.ok(fieldsOf(line.op).includes(field), `${call.op}: ${field}`);
    const answer = session.runLine(JSON.stringify(line), 2);
    assert.equal(answer?.op, call.op);
  }
  assert.deepEqual(Object.keys(DEVICE_OPS).filter((op) => !SCRIPT_OPS.includes(op as never)), [], 'every device op is a script op');
});

test('VHOST_VDPA_GET_VQS_COUNT answers vdpa->nvqs with no owner check (vhost_vdpa_get_vqs_count, 6.1 and 6.12)', () => {
  const session = new Session();
  const run = (line: object) => session.runLine(JSON.stringify(line), 1);
  run({ op: 'open', parent: 'vdpa_sim', kernel: '6.1.192' });
  assert.deepEqual(run({ op: 'get_vqs_count' }), { line: 1, op: 'get_vqs_count', ret: 0, errno: null, cause: null, count: 3 });
  run({ op: 'open', device: 'nic', parent: 'mlx5', kernel: '6.12.117', nvqs: 5 });
  assert.equal(run({ op: 'get_vqs_count', device: 'nic' })?.count, 5);
  run({ op: 'open', device: 'm', parent: 'mlx5', kernel: '6.12.117' });
  assert.equal(run({ op: 'get_vqs_count' })?.count, 17, 'mlx5 default: 8 queue pairs and the CVQ');
});

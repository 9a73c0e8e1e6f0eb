/**
 * Reading a `qemu record` results file (results.json) or the record.json a
 * shipped recording carries (the same schema and facts, without `modeled`:
 * a shipped recording keeps its trace.log beside it instead, and the replay
 * is made from that). Checked field by field; a bad file is one InputError
 * naming the field, as readResults does for a run's results.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zodIssues } from '../../cost/index.js';
import { InputError } from '../../errors.js';
import { readJsonFile, STDIN_NAME } from '../../json-file.js';
import { lazySchema, z } from '../../lazy-zod.js';
import { downtimes, readGuestLogText, traceResets } from '../../real/qemu/index.js';
import { RECORD_SCHEMA, REAL_LABEL, replayRecording, type ModeledResets } from './results.js';

const ms = lazySchema(() => z.number().nonnegative());
const count = lazySchema(() => z.number().int().nonnegative());

/** What the report reads of a recording; the rest (the replay's tables) is kept as written. */
const recordSchema = lazySchema(() =>
  z.object({
    schema: z.literal(RECORD_SCHEMA),
    recordedAt: z.string(),
    facts: z.looseObject({
      command: z.string(),
      qemu: z.looseObject({ release: z.string().min(1), version: z.string().min(1), versionLine: z.string(), packageVersion: z.string(), suite: z.string() }),
      kernel: z.looseObject({ alias: z.string(), release: z.string().min(1), generation: z.enum(['legacy', 'reset-map']) }),
      innerKernel: z.string(),
      ramMiB: z.number().int().positive(),
      backing: z.enum(['thp', '4k', 'hugetlb-2m']),
      resets: z.number().int().positive(),
      svq: z.boolean(),
    }),
    vm: z.looseObject({ release: z.string(), accel: z.enum(['kvm', 'tcg']), bootMs: ms, wallMs: ms, memMiB: z.number().positive(), kernelArgs: z.string() }),
    innerCommand: z.string(),
    note: z.string(),
    real: z.looseObject({
      label: z.literal(REAL_LABEL),
      downtime: z.array(
        z.object({
          reset: z.number().int().positive(),
          linkUpMs: ms.nullable(),
          firstTxMs: ms.nullable(),
          steps: z.object({ unbindMs: ms.nullable(), bindMs: ms.nullable(), carrierMs: ms.nullable(), txMs: ms.nullable() }).optional(),
        }),
      ),
      traceResets: z.array(z.object({ reset: z.number().int().positive(), line: z.number().int().positive(), stopSpanMs: ms, stopToStartMs: ms.nullable(), startSpanMs: ms.nullable() })),
    }),
    modeled: z
      .looseObject({
        schema: z.literal('vdpa-lab/replay@1'),
        devices: z.array(
          z.looseObject({
            flows: z.array(
              z.looseObject({
                notApplicable: z.string().nullable(),
                segments: z.array(z.looseObject({ event: z.string(), totalNs: ms })),
                whole: z.looseObject({ pagesPinned: count }).nullable(),
              }),
            ),
          }),
        ),
      })
      .optional(),
  }),
);

/** A recording's fields as checked (the replay's own tables left as written). */
export type QemuRecordData = Omit<z.infer<typeof recordSchema>, 'modeled'>;

/** A recording as the report reads it: `modeled` from the file, or replayed from the trace.log beside it. */
export interface QemuRecordFile {
  path: string;
  record: QemuRecordData;
  modeled: ModeledResets | null;
  /** Where `modeled` came from: the file itself, the trace beside it, or nowhere (no trace to replay). */
  modeledFrom: 'results' | 'trace.log' | null;
}

/** Checks a parsed qemu-record file (`value`, read from `path`); the first problem is one InputError naming the field. */
export function parseQemuRecord(value: unknown, path: string): QemuRecordFile {
  const r = recordSchema.safeParse(value);
  if (!r.success) {
    const [first, ...rest] = zodIssues('', r.error).map((l) => l.replace(/^\./, ''));
    throw new InputError(path, `${first}${rest.length ? ` (and ${rest.length} more)` : ''}`);
  }
  const { modeled, ...record } = r.data;
  const beside = (name: string) => (path === STDIN_NAME ? null : join(dirname(path), name));
  // A file from before the guest's steps were kept: the guest.log beside it (shipped recordings carry one) has them.
  const guestLog = beside('guest.log');
  if (record.real.downtime.some((d) => !d.steps) && guestLog && existsSync(guestLog)) record.real.downtime = downtimes(readGuestLogText(readFileSync(guestLog, 'utf8')));
  const trace = beside('trace.log');
  const traceText = trace && existsSync(trace) ? readFileSync(trace, 'utf8') : null;
  // The trace's spans are read again from the trace itself when it is there: the reader's rules may be newer than the file.
  if (traceText !== null) record.real.traceResets = traceResets(traceText);
  if (modeled) return { path, record, modeled, modeledFrom: 'results' };
  if (!trace || traceText === null) return { path, record, modeled: null, modeledFrom: null };
  try {
    return { path, record, modeled: replayRecording(traceText, trace, record.facts), modeledFrom: 'trace.log' };
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${path}: modeled`, `no replay in the file, and the trace.log beside it does not replay: ${e.message}`);
    throw e;
  }
}

export function readQemuRecord(path: string): QemuRecordFile {
  return parseQemuRecord(readJsonFile(path, 'results file').value, path);
}

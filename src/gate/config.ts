/**
 * The optional gate config: per-metric relative tolerances for the
 * deterministic figures (default: exact), and the statistical rule for simulator and real figures.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { zodIssues } from '../cost/index.js';
import { problemsError } from '../workload/index.js';
import { readJsonFile } from '../json-file.js';

export const gateConfigSchema = lazySchema(() =>
  z
    .object({
      /** Metric pattern (e.g. "modeled.perResetNs", "counters.*") -> relative tolerance (0.01 = 1%). */
      tolerances: z.record(z.string(), z.number().min(0)).default({}),
      /** Mann-Whitney significance level for simulator and real figures. */
      alpha: z.number().gt(0).lt(1).default(0.01),
      /** Minimum relative change of the median to count as a change. */
      minEffect: z.number().min(0).default(0.1),
    })
    .strict(),
);

export type GateConfig = z.infer<typeof gateConfigSchema>;

export function defaultGateConfig(): GateConfig {
  return gateConfigSchema.parse({});
}

export function loadGateConfig(path: string): GateConfig {
  const raw = readJsonFile(path, 'gate config').value;
  const r = gateConfigSchema.safeParse(raw);
  if (!r.success) throw problemsError(zodIssues(path, r.error));
  return r.data;
}

/** The tolerance for a metric: the most specific matching pattern wins ("*" matches any run of characters). */
export function toleranceFor(cfg: GateConfig, metric: string): { tolerance: number; pattern: string | null } {
  let best: { tolerance: number; pattern: string | null } = { tolerance: 0, pattern: null };
  for (const [pattern, tolerance] of Object.entries(cfg.tolerances)) {
    const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (re.test(metric) && (best.pattern === null || pattern.length > best.pattern.length)) best = { tolerance, pattern };
  }
  return best;
}

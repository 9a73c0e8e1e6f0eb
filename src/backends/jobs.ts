/**
 * What a real backend does before it touches a kernel: every job the lab did
 * not write itself is run on the model first (a malformed line fails there,
 * exit 2, before any VM boots), then planned (the module parameters and
 * devices its open lines ask for, the memory its mmaps take).
 */
import type { SessionOverrides } from '../kernel/index.js';
import { inScript, runOnModel } from '../real/model-run.js';
import { planScript, type ScriptPlan, type VmParents } from '../real/script-plan.js';
import type { KernelFacts, ScriptJob } from './backend.js';

export function validateAndPlan(jobs: ScriptJob[], overrides: SessionOverrides, facts: KernelFacts, inVm: boolean, vm?: VmParents): ScriptPlan[] {
  const many = jobs.length > 1;
  for (const j of jobs) {
    if (j.plan) continue;
    try {
      runOnModel(j, overrides);
    } catch (e) {
      throw inScript(j.name, many, e);
    }
  }
  return jobs.map((j) => {
    if (j.plan) return j.plan;
    try {
      return planScript(j.text, overrides, facts.vaDefault, inVm, vm);
    } catch (e) {
      throw inScript(j.name, many, e);
    }
  });
}

/** Cost layer: sourced price profiles and the virtual clock that turns counters into modeled ns. */
export { PHASES, COUNTER_PHASE, zeroPhases } from './phases.js';
export type { Phase, PhaseNs } from './phases.js';
export { PROFILE_SCHEMA_VERSION, profileSchema, fittedToSchema, parseProfile, loadProfile, priceOf, sha256, zodIssues } from './profile.js';
export type { CostProfile, FittedTo, Price } from './profile.js';
export { VirtualClock, addPhases } from './clock.js';
export type { Priced } from './clock.js';
export { fitPrices } from './fit.js';
export type { Observation, FitResult } from './fit.js';

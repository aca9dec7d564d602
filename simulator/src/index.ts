/**
 * Public API of the slabcheck allocator simulator. Pure TypeScript with no
 * dependency beyond node built-ins; the server wires simulateCommand() as
 * `slabcheck simulate` and passes the cache models its analysis extracted.
 */
export type { CacheModel, CtorDtorModel, ModelStep, SourceRange } from './model';
export { CACHE_MODEL_VERSION } from './model';
export { simulate, sweep, simulateCache, DEFAULT_SWEEP, normalizeModel, sensitivity, seedStats, cacheWorkload, gainVerdict, TC_POINT, SHRINKER_POINT, WORKLOAD_COSTS } from './simulate';
export { validate, validationMarkdown, sensitivityMarkdown, PUBLISHED_FIGURES, VALIDATION_SEED, VALIDATION_DURATION_NS, VALIDATION_TOLERANCE, type ValidationRow, type PublishedFigure } from './validation';
export type { SimOptions, SweepOptions, SweepPoint, Mode, WorkloadName } from './options';
export { validateScenario, validateModels, type ValidationResult } from './validate-scenario';
export type { Scenario, ScenarioStep, ScenarioProgram, ScenarioCache } from './scenario-types';
export { formatReport, verdictText, gainText, rowDeadlockLines } from './report';
export { simulateCommand, loadModels, SIMULATE_USAGE } from './cli';
export { COST_TABLE, COST_NAMES, defaultCosts, SimUsageError, type Costs, type CostEntry, type CostName, type CostKind } from './costs';
export { MACHINE_PROFILES, type MachineSpec } from './machine';
export { PUBLISHED_EXEC_GAINS, GAIN_TOLERANCE_PP, PUBLISHED_SOURCE } from './published';
export { mmStructModel, demoDtorModel, tcActionModel } from './default-models';
export { analyticExec } from './analytic';
export type {
  SimResult, RunResult, CompareRow, ProfileEntry, Sensitivity, CostSensitivity, CacheAssumptions, LockStats, MemorySample, CacheStats, DeadlockReport, StopInfo, AnalyticEstimate, WaitEdge, SeedStats, Verdict, RowDeadlock,
} from './result';
export { RESULT_VERSION, NOISE_FLOOR_PCT } from './result';
export type { LockdepFinding, DependencyEvidence, FindingKind } from './lockdep';
export type { TimelineEvent } from './timeline';

/** The shape every rule module has (after ESLint: meta + one check function). */
import type { Semantics, SeverityName } from '../config/config';
import type { Analysis, CacheInfo, Step } from '../index/analysis';
import type { Span } from '../facts/types';
import type { EntryPoint, ShrinkerInfo } from '../contexts/registry';
import type { SiteMemo } from '../contexts/constraints/atomic';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RuleMeta {
  id: string;
  defaultSeverity: Severity;
  /** One line, shown in lists. */
  description: string;
  /** Markdown shown on hover: what, why (from the linux-mm discussions), how to fix. */
  explanation: string;
  /** Rules about destructors only apply under the destructor-RFC semantics. */
  semantics: Semantics | 'any';
}

export interface TextEdit {
  file: string;
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  file: string;
  span: Span;
  /** Evidence chain: the call path to the lock, where the lock nests another... */
  related: Step[];
  /** Name of the cache the finding is about. */
  cache?: string;
  /** Name (or target) of the shrinker the finding is about. */
  shrinker?: string;
  /** The NMI/tracing/hardirq entry point the finding is about (its function's name). */
  entry?: string;
  fixes?: Fix[];
}

export interface RuleContext {
  analysis: Analysis;
  semantics: Semantics;
  report(f: Omit<Finding, 'severity' | 'rule'> & { severity?: Severity }): void;
}

export interface Rule {
  meta: RuleMeta;
  /** Run once per cache (a no-op for rules of another family). */
  check(ctx: RuleContext, cache: CacheInfo): Promise<void> | void;
  /** Before checkShrinker: read at once what every shrinker will need (a demand-driven read drops summaries). */
  prepareShrinkers?(ctx: RuleContext, shrinkers: ShrinkerInfo[]): Promise<void>;
  /** Run once per entry point declared in `.slabcheck.json` (contexts/registry.ts configEntryPoints). */
  checkEntry?(ctx: RuleContext, entry: EntryPoint): Promise<void> | void;
  /** Run once per shrinker found by the context registry (contexts/registry.ts). */
  checkShrinker?(ctx: RuleContext, shrinker: ShrinkerInfo): Promise<void> | void;
  /**
   * Run once per NMI, tracing and hardirq entry point (contexts/atomic-entries.ts), strictest
   * context first; `memo` holds the places already reported (contexts/constraints/atomic.ts claim()).
   */
  checkAtomic?(ctx: RuleContext, entry: EntryPoint, memo: SiteMemo): Promise<void> | void;
  /** Run once per check over the workspace's own code (the nolock allocators' contract, wherever they are called). */
  checkWorkspace?(ctx: RuleContext): Promise<void> | void;
  /** Run once per check over the lock classes (the `lock-rule-*` rules: declared rules, inferred held-under outliers). */
  checkLockClasses?(ctx: RuleContext): Promise<void> | void;
}

export function severityOf(rule: RuleMeta, configured: Record<string, SeverityName>): Severity | 'off' {
  return configured[rule.id] ?? rule.defaultSeverity;
}

/** The primary location and evidence of a chain: the first step is in the ctor/dtor itself. */
export function fromChain(chain: Step[]): { file: string; span: Span; related: Step[] } {
  return { file: chain[0].file, span: chain[0].span, related: chain.slice(1).length ? chain.slice(1) : [] };
}

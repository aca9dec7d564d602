/**
 * `.slabcheck.json` and editor settings: semantics, rule severities, extra
 * kernel facts, include/exclude globs, file size limit. Every error names the
 * field so a user can fix the file.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { KernelFunctionFact } from '../kb/kernel-functions';
import type { DeclaredPrimitive, IrqMode, LockKind, LockMode } from '../kb/locks';
import type { ConstraintId, ContextDef, EntryPattern } from '../kb/contexts';

export type Semantics = 'mainline' | 'dtor-rfc';
export type SeverityName = 'error' | 'warning' | 'info' | 'hint' | 'off';

export interface Config {
  semantics: Semantics;
  /** Who chose the semantics: a file, a setting, `--semantics`, or `auto: <evidence>` (set by the engine). */
  semanticsSource?: string;
  rules: Record<string, SeverityName>;
  functions: Record<string, KernelFunctionFact>;
  locks: Record<string, { kind?: LockKind; leaf?: boolean; why?: string }>;
  include: string[];
  exclude: string[];
  maxFileSize: number;
  /** Execution contexts added to kb/contexts.ts CONTEXTS (or replacing one of the same id). */
  contexts: Record<string, ContextDef>;
  /** Entry-point patterns added to kb/contexts.ts ENTRY_PATTERNS: a struct field, or a registration call's argument. */
  entryPoints: EntryPattern[];
  /** Functions that are lock operations on a class (a custom lock the knowledge base cannot know). */
  lockPrimitives: Record<string, DeclaredPrimitive>;
  /** Rules a lock class's modes follow (rules/lock-rule-*.ts check them). */
  lockRules: Record<string, Partial<Record<LockMode, LockRule>>>;
}

/** What `.slabcheck.json` `lockRules` says of one mode of a class. */
export interface LockRule {
  /** Only trylock may take it (a waiting acquisition is a finding). */
  trylockOnly?: boolean;
  /** false: its holder must not sleep (nor call what may). */
  holderMaySleep?: boolean;
  /** Taken only with preemption or IRQs off, or under a spinning lock. */
  atomicOnly?: boolean;
  /** Taken only while one of these classes is held. */
  mustHoldOneOf?: string[];
  /** Why, shown in findings. */
  why?: string;
}

export const DEFAULT_CONFIG: Config = {
  semantics: 'mainline', rules: {}, functions: {}, locks: {}, include: [], exclude: [], maxFileSize: 4 * 1024 * 1024, contexts: {}, entryPoints: [], lockPrimitives: {}, lockRules: {},
};

export class ConfigError extends Error {
  constructor(public file: string, public field: string, message: string) {
    super(`${file}: ${field}: ${message}`);
  }
}

const SEVERITIES = ['error', 'warning', 'info', 'hint', 'off'];
const KINDS = ['spin', 'raw_spin', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'seqlock', 'bit_spin', 'rcu'];
const IRQS = ['none', 'irq', 'irqsave', 'bh'];
const TOP_KEYS = ['$schema', 'semantics', 'rules', 'functions', 'locks', 'include', 'exclude', 'maxFileSize', 'contexts', 'entryPoints', 'lockPrimitives', 'lockRules'];
export const CONFIG_KEYS = TOP_KEYS;
const MODES: LockMode[] = ['read', 'write', 'exclusive'];
const RULE_KEYS = ['trylockOnly', 'holderMaySleep', 'atomicOnly', 'mustHoldOneOf', 'why'];
const CONSTRAINTS: ConstraintId[] = ['no-reclaim-alloc', 'no-reclaim-lock', 'no-unbounded-blocking', 'leaf-irqsafe-locks-only', 'no-sleep'];
const IDENT = /^[A-Za-z_]\w*$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a parsed config object; throws ConfigError naming the field. */
export function validateConfig(raw: unknown, file: string, knownRules?: string[]): Config {
  const cfg: Config = JSON.parse(JSON.stringify(DEFAULT_CONFIG));
  if (!isObj(raw)) throw new ConfigError(file, '(root)', 'must be a JSON object');
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) throw new ConfigError(file, k, `unknown field; expected one of ${TOP_KEYS.slice(1).join(', ')}`);
  if (raw.semantics !== undefined) {
    if (raw.semantics !== 'mainline' && raw.semantics !== 'dtor-rfc') throw new ConfigError(file, 'semantics', `must be "mainline" or "dtor-rfc", got ${JSON.stringify(raw.semantics)}`);
    cfg.semantics = raw.semantics;
    cfg.semanticsSource = path.basename(file);
  }
  if (raw.rules !== undefined) {
    if (!isObj(raw.rules)) throw new ConfigError(file, 'rules', 'must be an object of rule id -> severity');
    for (const [id, sev] of Object.entries(raw.rules)) {
      if (knownRules && !knownRules.includes(id)) throw new ConfigError(file, `rules.${id}`, `unknown rule; known rules: ${knownRules.join(', ')}`);
      if (typeof sev !== 'string' || !SEVERITIES.includes(sev)) throw new ConfigError(file, `rules.${id}`, `severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(sev)}`);
      cfg.rules[id] = sev as SeverityName;
    }
  }
  if (raw.functions !== undefined) {
    if (!isObj(raw.functions)) throw new ConfigError(file, 'functions', 'must be an object of function name -> facts');
    for (const [name, f] of Object.entries(raw.functions)) {
      const at = `functions.${name}`;
      if (!isObj(f)) throw new ConfigError(file, at, 'must be an object like {"locks": [{"lock": "my_lock", "kind": "spin", "irq": "irqsave"}], "maySleep": false}');
      const fact: KernelFunctionFact = { source: typeof f.source === 'string' ? f.source : `${path.basename(file)}` };
      if (f.maySleep !== undefined) {
        if (typeof f.maySleep !== 'boolean') throw new ConfigError(file, `${at}.maySleep`, 'must be true or false');
        fact.maySleep = f.maySleep;
      }
      if (f.locks !== undefined) {
        if (!Array.isArray(f.locks)) throw new ConfigError(file, `${at}.locks`, 'must be an array');
        fact.locks = f.locks.map((l, i) => {
          const lat = `${at}.locks[${i}]`;
          if (!isObj(l) || typeof l.lock !== 'string') throw new ConfigError(file, `${lat}.lock`, 'must be a lock class name string');
          if (typeof l.kind !== 'string' || !KINDS.includes(l.kind)) throw new ConfigError(file, `${lat}.kind`, `must be one of ${KINDS.join(', ')}`);
          const irq = l.irq ?? 'none';
          if (typeof irq !== 'string' || !IRQS.includes(irq)) throw new ConfigError(file, `${lat}.irq`, `must be one of ${IRQS.join(', ')}`);
          return { lock: l.lock, kind: l.kind as LockKind, irq: irq as 'none', leaf: l.leaf === true ? true : undefined };
        });
      }
      cfg.functions[name] = fact;
    }
  }
  if (raw.locks !== undefined) {
    if (!isObj(raw.locks)) throw new ConfigError(file, 'locks', 'must be an object of lock class -> {kind, leaf}');
    for (const [name, l] of Object.entries(raw.locks)) {
      if (!isObj(l)) throw new ConfigError(file, `locks.${name}`, 'must be an object');
      if (l.kind !== undefined && (typeof l.kind !== 'string' || !KINDS.includes(l.kind))) throw new ConfigError(file, `locks.${name}.kind`, `must be one of ${KINDS.join(', ')}`);
      if (l.leaf !== undefined && typeof l.leaf !== 'boolean') throw new ConfigError(file, `locks.${name}.leaf`, 'must be true or false');
      cfg.locks[name] = { kind: l.kind as LockKind | undefined, leaf: l.leaf as boolean | undefined, why: typeof l.why === 'string' ? l.why : undefined };
    }
  }
  for (const key of ['include', 'exclude'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((g) => typeof g !== 'string')) throw new ConfigError(file, key, 'must be an array of glob strings');
    cfg[key] = v as string[];
  }
  if (raw.contexts !== undefined) {
    if (!isObj(raw.contexts)) throw new ConfigError(file, 'contexts', 'must be an object of context id -> {title, maySleep, irqs, inReclaim, nmi, constraints}');
    for (const [id, c] of Object.entries(raw.contexts)) {
      const at = `contexts.${id}`;
      if (!isObj(c)) throw new ConfigError(file, at, 'must be an object like {"title": "my callback", "maySleep": false, "constraints": ["no-sleep"]}');
      for (const k of Object.keys(c)) if (!['title', 'maySleep', 'irqs', 'inReclaim', 'nmi', 'callerMayHold', 'safeGfp', 'constraints', 'source'].includes(k)) throw new ConfigError(file, `${at}.${k}`, 'unknown field; expected title, maySleep, irqs, inReclaim, nmi, callerMayHold, safeGfp, constraints, source');
      for (const k of ['maySleep', 'inReclaim', 'nmi'] as const) if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new ConfigError(file, `${at}.${k}`, 'must be true or false');
      if (c.irqs !== undefined && !['enabled', 'disabled', 'any'].includes(c.irqs as string)) throw new ConfigError(file, `${at}.irqs`, 'must be "enabled", "disabled" or "any"');
      const cons = c.constraints ?? [];
      if (!Array.isArray(cons) || cons.some((x) => !CONSTRAINTS.includes(x as ConstraintId))) throw new ConfigError(file, `${at}.constraints`, `must be an array of ${CONSTRAINTS.join(', ')}`);
      cfg.contexts[id] = {
        id, title: typeof c.title === 'string' ? c.title : id, maySleep: c.maySleep !== false, irqs: (c.irqs as ContextDef['irqs']) ?? 'any',
        inReclaim: c.inReclaim === true, nmi: c.nmi === true, callerMayHold: typeof c.callerMayHold === 'string' ? c.callerMayHold : 'not stated',
        safeGfp: typeof c.safeGfp === 'string' ? c.safeGfp : 'not stated', constraints: cons as ConstraintId[], source: typeof c.source === 'string' ? c.source : path.basename(file),
      };
    }
  }
  if (raw.entryPoints !== undefined) {
    if (!Array.isArray(raw.entryPoints)) throw new ConfigError(file, 'entryPoints', 'must be an array of {"field": "struct.field", "context": id} or {"call": "api", "arg": n, "context": id}');
    raw.entryPoints.forEach((e, i) => {
      const at = `entryPoints[${i}]`;
      if (!isObj(e)) throw new ConfigError(file, at, 'must be an object');
      if (typeof e.context !== 'string' || !e.context) throw new ConfigError(file, `${at}.context`, 'must name a context (one of kb/contexts.ts, or of "contexts")');
      const role = typeof e.role === 'string' ? e.role : undefined;
      if (e.field !== undefined) {
        const m = typeof e.field === 'string' ? /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/.exec(e.field) : null;
        if (!m) throw new ConfigError(file, `${at}.field`, 'must be "struct.field", e.g. "my_ops.callback"');
        cfg.entryPoints.push({ kind: 'field', family: typeof e.family === 'string' ? e.family : e.context, struct: m[1], field: m[2], context: e.context, role: role ?? m[2], source: path.basename(file) });
      } else if (e.call !== undefined) {
        if (typeof e.call !== 'string' || !IDENT.test(e.call)) throw new ConfigError(file, `${at}.call`, 'must be a function name');
        if (!Number.isInteger(e.arg) || (e.arg as number) < 0) throw new ConfigError(file, `${at}.arg`, 'must be the 0-based index of the argument that is the function');
        cfg.entryPoints.push({ kind: 'call', family: typeof e.family === 'string' ? e.family : e.context, api: e.call, arg: e.arg as number, context: e.context, role: role ?? `${e.call} argument ${e.arg}`, source: path.basename(file) });
      } else throw new ConfigError(file, at, 'needs "field" ("struct.field") or "call" (with "arg")');
    });
  }
  if (raw.lockPrimitives !== undefined) readPrimitives(raw.lockPrimitives, file, cfg);
  if (raw.lockRules !== undefined) readLockRules(raw.lockRules, file, cfg);
  if (raw.maxFileSize !== undefined) {
    if (typeof raw.maxFileSize !== 'number' || !Number.isFinite(raw.maxFileSize) || raw.maxFileSize <= 0) throw new ConfigError(file, 'maxFileSize', 'must be a positive number of bytes');
    cfg.maxFileSize = raw.maxFileSize;
  }
  // Every entry point names a known context (kb/contexts.ts or this file's "contexts").
  cfg.entryPoints.forEach((e, i) => {
    if (!cfg.contexts[e.context] && !KNOWN_CONTEXT_IDS.includes(e.context)) throw new ConfigError(file, `entryPoints[${i}].context`, `unknown context '${e.context}'; known: ${[...KNOWN_CONTEXT_IDS, ...Object.keys(cfg.contexts)].join(', ')}`);
  });
  return cfg;
}

/** A key in a field path: `lockRules."zpage.lock".write` (quoted when it is not an identifier). */
function keyPath(k: string): string {
  return IDENT.test(k) ? k : JSON.stringify(k);
}

function readPrimitives(v: unknown, file: string, cfg: Config): void {
  if (!isObj(v)) throw new ConfigError(file, 'lockPrimitives', 'expected an object of function name -> {"class": "my.lock", "op": "lock", "mode": "write"}');
  for (const [fn, p] of Object.entries(v)) {
    const at = `lockPrimitives.${keyPath(fn)}`;
    if (!IDENT.test(fn)) throw new ConfigError(file, at, 'expected a function name');
    if (!isObj(p)) throw new ConfigError(file, at, 'expected an object like {"class": "my.lock", "op": "lock", "mode": "write"}');
    for (const k of Object.keys(p)) if (!['class', 'op', 'mode', 'kind', 'irq'].includes(k)) throw new ConfigError(file, `${at}.${k}`, 'unknown field; expected class, op, mode, kind, irq');
    if (typeof p.class !== 'string' || !p.class) throw new ConfigError(file, `${at}.class`, 'expected a lock class name string');
    if (!['lock', 'trylock', 'unlock'].includes(p.op as string)) throw new ConfigError(file, `${at}.op`, 'expected "lock", "trylock" or "unlock"');
    if (!MODES.includes(p.mode as LockMode)) throw new ConfigError(file, `${at}.mode`, 'expected "read", "write" or "exclusive"');
    if (p.kind !== undefined && (typeof p.kind !== 'string' || !KINDS.includes(p.kind))) throw new ConfigError(file, `${at}.kind`, `expected one of ${KINDS.join(', ')}`);
    if (p.irq !== undefined && (typeof p.irq !== 'string' || !IRQS.includes(p.irq))) throw new ConfigError(file, `${at}.irq`, `expected one of ${IRQS.join(', ')}`);
    cfg.lockPrimitives[fn] = {
      class: p.class, op: p.op as DeclaredPrimitive['op'], mode: p.mode as LockMode,
      ...(p.kind !== undefined ? { kind: p.kind as LockKind } : {}), ...(p.irq !== undefined ? { irq: p.irq as IrqMode } : {}),
    };
  }
}

function readLockRules(v: unknown, file: string, cfg: Config): void {
  if (!isObj(v)) throw new ConfigError(file, 'lockRules', 'expected an object of lock class -> mode -> rules');
  for (const [cls, modes] of Object.entries(v)) {
    const at = `lockRules.${keyPath(cls)}`;
    if (!isObj(modes)) throw new ConfigError(file, at, 'expected an object of mode ("read", "write", "exclusive") -> rules');
    const out: Partial<Record<LockMode, LockRule>> = {};
    for (const [mode, r] of Object.entries(modes)) {
      const mat = `${at}.${keyPath(mode)}`;
      if (!MODES.includes(mode as LockMode)) throw new ConfigError(file, mat, 'unknown mode; expected read, write or exclusive');
      if (!isObj(r)) throw new ConfigError(file, mat, 'expected an object like {"trylockOnly": true, "holderMaySleep": false}');
      for (const k of Object.keys(r)) if (!RULE_KEYS.includes(k)) throw new ConfigError(file, `${mat}.${k}`, `unknown field; expected ${RULE_KEYS.join(', ')}`);
      for (const k of ['trylockOnly', 'holderMaySleep', 'atomicOnly'] as const) if (r[k] !== undefined && typeof r[k] !== 'boolean') throw new ConfigError(file, `${mat}.${k}`, 'expected boolean');
      if (r.mustHoldOneOf !== undefined && (!Array.isArray(r.mustHoldOneOf) || !r.mustHoldOneOf.length || r.mustHoldOneOf.some((c) => typeof c !== 'string' || !c))) {
        throw new ConfigError(file, `${mat}.mustHoldOneOf`, 'expected a non-empty array of lock class names');
      }
      if (r.why !== undefined && typeof r.why !== 'string') throw new ConfigError(file, `${mat}.why`, 'expected a string');
      out[mode as LockMode] = { ...(r as LockRule) };
    }
    cfg.lockRules[cls] = out;
  }
}

const KNOWN_CONTEXT_IDS = ['slab-ctor', 'slab-dtor', 'shrinker-count', 'shrinker-scan'];

/** Load `.slabcheck.json` from a root folder; a missing file gives the defaults. */
export function loadConfigFile(root: string, knownRules?: string[]): { config: Config; file?: string } {
  const file = path.join(root, '.slabcheck.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { config: JSON.parse(JSON.stringify(DEFAULT_CONFIG)) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, '(syntax)', `not valid JSON: ${(e as Error).message}`);
  }
  return { config: validateConfig(raw, file, knownRules), file };
}

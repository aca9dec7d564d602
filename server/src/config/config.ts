/**
 * `.slabcheck.json` and editor settings: semantics, rule severities, extra
 * kernel facts, include/exclude globs, file size limit. Every error names the
 * field so a user can fix the file.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { KernelFunctionFact } from '../kb/kernel-functions';
import type { LockKind } from '../kb/locks';

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
}

export const DEFAULT_CONFIG: Config = {
  semantics: 'mainline', rules: {}, functions: {}, locks: {}, include: [], exclude: [], maxFileSize: 4 * 1024 * 1024,
};

export class ConfigError extends Error {
  constructor(public file: string, public field: string, message: string) {
    super(`${file}: ${field}: ${message}`);
  }
}

const SEVERITIES = ['error', 'warning', 'info', 'hint', 'off'];
const KINDS = ['spin', 'raw_spin', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'seqlock', 'bit_spin', 'rcu'];
const IRQS = ['none', 'irq', 'irqsave', 'bh'];
const TOP_KEYS = ['$schema', 'semantics', 'rules', 'functions', 'locks', 'include', 'exclude', 'maxFileSize'];

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
  if (raw.maxFileSize !== undefined) {
    if (typeof raw.maxFileSize !== 'number' || !Number.isFinite(raw.maxFileSize) || raw.maxFileSize <= 0) throw new ConfigError(file, 'maxFileSize', 'must be a positive number of bytes');
    cfg.maxFileSize = raw.maxFileSize;
  }
  return cfg;
}

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

/**
 * Editor settings (`slabcheck.*`, pulled with workspace/configuration) merged
 * over `.slabcheck.json`: the file gives the project's defaults, settings the
 * user's overrides. Every error names the setting or the file field; the
 * caller keeps the previous configuration when this throws.
 */
import { Config, ConfigError, loadConfigFile, validateConfig } from '../config/config';
import { RULE_IDS } from '../rules';

export interface LspOptions {
  debounceMs: number;
  /** When diagnostics are published: as you type (debounced), on save only, or never. */
  diagnostics: DiagnosticsMode;
}

export interface Resolved {
  config: Config;
  options: LspOptions;
  /** The `.slabcheck.json` that was read, if any. */
  configFile?: string;
}

export class SettingsError extends Error {
  constructor(public field: string, message: string) {
    super(message);
  }
}

export const DEFAULT_DEBOUNCE_MS = 150;

const SETTINGS_SOURCE = 'settings';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `slabcheck.*` settings as sent by the client -> the raw config fields they override. */
export type DiagnosticsMode = 'onType' | 'onSave' | 'off';
const DIAGNOSTICS_MODES: DiagnosticsMode[] = ['onType', 'onSave', 'off'];

function settingsOverrides(raw: unknown): { overrides: Record<string, unknown>; debounceMs: number; diagnostics: DiagnosticsMode } {
  const s = isObj(raw) ? raw : {};
  const o: Record<string, unknown> = {};
  const sem = s.semantics;
  if (sem === 'mainline' || sem === 'dtor-rfc') o.semantics = sem;
  else if (sem !== undefined && sem !== null && sem !== '' && sem !== 'auto') {
    throw new SettingsError('slabcheck.semantics', `Invalid setting slabcheck.semantics: must be "auto", "mainline" or "dtor-rfc", got ${JSON.stringify(sem)}`);
  }
  if (s.rules !== undefined && s.rules !== null) o.rules = s.rules;
  if (s.include !== undefined && s.include !== null) o.include = s.include;
  if (s.exclude !== undefined && s.exclude !== null) o.exclude = s.exclude;
  if (s.maxFileSize !== undefined && s.maxFileSize !== null && s.maxFileSize !== 0) o.maxFileSize = s.maxFileSize;
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  if (s.debounceMs !== undefined && s.debounceMs !== null) {
    if (typeof s.debounceMs !== 'number' || !Number.isFinite(s.debounceMs) || s.debounceMs < 0 || s.debounceMs > 60000) {
      throw new SettingsError('slabcheck.debounceMs', `Invalid setting slabcheck.debounceMs: must be a number of milliseconds from 0 to 60000, got ${JSON.stringify(s.debounceMs)}`);
    }
    debounceMs = s.debounceMs;
  }
  // Validate the overrides on their own so an error names the setting, not the merged result.
  try {
    validateConfig(o, SETTINGS_SOURCE, RULE_IDS);
  } catch (e) {
    if (e instanceof ConfigError) {
      const field = `slabcheck.${e.field}`;
      throw new SettingsError(field, `Invalid setting ${field}: ${configErrorText(e)}`);
    }
    throw e;
  }
  let diagnostics: DiagnosticsMode = 'onType';
  if (s.diagnostics !== undefined && s.diagnostics !== null) {
    if (!DIAGNOSTICS_MODES.includes(s.diagnostics as DiagnosticsMode)) {
      throw new SettingsError('slabcheck.diagnostics', `Invalid setting slabcheck.diagnostics: must be one of ${DIAGNOSTICS_MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(s.diagnostics)}`);
    }
    diagnostics = s.diagnostics as DiagnosticsMode;
  }
  return { overrides: o, debounceMs, diagnostics };
}

/** Merge settings over the first root's `.slabcheck.json`. Throws SettingsError or ConfigError. */
export function resolveSettings(raw: unknown, roots: string[]): Resolved {
  const { overrides, debounceMs, diagnostics } = settingsOverrides(raw);
  const settingsCfg = validateConfig(overrides, SETTINGS_SOURCE, RULE_IDS);
  let base: Config;
  let configFile: string | undefined;
  if (roots.length) {
    const loaded = loadConfigFile(roots[0], RULE_IDS);
    base = loaded.config;
    configFile = loaded.file;
  } else base = validateConfig({}, SETTINGS_SOURCE, RULE_IDS);
  const config: Config = {
    ...base,
    semantics: overrides.semantics !== undefined ? settingsCfg.semantics : base.semantics,
    semanticsSource: overrides.semantics !== undefined ? 'setting slabcheck.semantics' : base.semanticsSource,
    rules: { ...base.rules, ...settingsCfg.rules },
    include: [...base.include, ...settingsCfg.include],
    exclude: [...base.exclude, ...settingsCfg.exclude],
    maxFileSize: overrides.maxFileSize !== undefined ? settingsCfg.maxFileSize : base.maxFileSize,
  };
  return { config, options: { debounceMs, diagnostics }, configFile };
}

/** The message part of a ConfigError, without its "file: field: " prefix. */
function configErrorText(e: ConfigError): string {
  const prefix = `${e.file}: ${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** A message for the user naming what to fix. */
export function describeSettingsError(e: unknown): string {
  if (e instanceof SettingsError) return `slabcheck: ${e.message}. The previous configuration stays in effect.`;
  if (e instanceof ConfigError) return `slabcheck: bad configuration in ${e.file}: ${e.field}: ${configErrorText(e)}. The previous configuration stays in effect.`;
  return `slabcheck: could not read the configuration: ${(e as Error).message}. The previous configuration stays in effect.`;
}

/** Config changes that change the set of files (need a new index) rather than only the rules. */
export function needsReindex(a: Config, b: Config): boolean {
  return a.maxFileSize !== b.maxFileSize || JSON.stringify(a.include) !== JSON.stringify(b.include) || JSON.stringify(a.exclude) !== JSON.stringify(b.exclude);
}

/** Findings -> LSP diagnostics (rule code, link, evidence as related information, data for code actions). */
import { Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../rules/types';
import type { Span } from '../facts/types';
import { location, spanToRange, UriMap } from './paths';

export const SOURCE = 'slabcheck';

export function ruleHref(id: string): string {
  return `https://example.invalid/slabcheck/rules#${id}`;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What code actions need, carried in Diagnostic.data. */
export interface FindingData {
  kind: 'finding';
  rule: string;
  file: string;
  span: Span;
  cache?: string;
  /** The primary location is in the ctor/dtor itself (no call in between). */
  direct: boolean;
}

export interface SkippedData {
  kind: 'skipped';
  file: string;
}

export function findingToDiagnostic(f: Finding, uris: UriMap): Diagnostic {
  const related: DiagnosticRelatedInformation[] = f.related.map((s) => ({ location: location(uris.uri(s.file), s.span), message: s.note }));
  const data: FindingData = { kind: 'finding', rule: f.rule, file: f.file, span: f.span, cache: f.cache, direct: f.related.length === 0 };
  return {
    range: spanToRange(f.span),
    severity: SEVERITY[f.severity] ?? DiagnosticSeverity.Warning,
    code: f.rule,
    codeDescription: { href: ruleHref(f.rule) },
    source: SOURCE,
    message: f.message,
    relatedInformation: related.length ? related : undefined,
    data,
  };
}

/** The one diagnostic a skipped file (too big, binary) gets. */
export function skippedDiagnostic(file: string, reason: string): Diagnostic {
  const data: SkippedData = { kind: 'skipped', file };
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    code: 'file-skipped',
    source: SOURCE,
    message: `slabcheck did not analyse this file: ${reason}`,
    data,
  };
}

export function isFindingData(d: unknown): d is FindingData {
  return typeof d === 'object' && d !== null && (d as FindingData).kind === 'finding' && typeof (d as FindingData).rule === 'string';
}

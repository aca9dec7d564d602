/**
 * What the extension posts to its webviews (the data half of the protocol;
 * messages.ts has the webview -> extension half), and the source anchors:
 * names that appear in a simulation result (ctor/dtor functions, lock
 * classes, allocators, the cache) mapped to where the cache model found
 * them, so the page can turn them into links.
 */
import type { CacheModel, ModelStep, SourceRange } from '../../../simulator/src/model';
import type { SimResult } from '../../../simulator/src/result';

export interface SourceLink {
  file: string;
  /** 0-based, like LSP and the cache model. */
  line: number;
  col: number;
  /** Workspace-relative path for display. */
  label: string;
}

export interface Anchor extends SourceLink {
  /** The text to link where it appears in the result. */
  text: string;
  kind: 'cache' | 'ctor' | 'dtor' | 'lock' | 'alloc' | 'free' | 'call';
}

/** A finding of the workspace check (the rules the Problems panel shows) about the simulated cache. */
export interface StaticFinding {
  rule: string;
  severity: string;
  message: string;
  file: string;
  /** 0-based. */
  line: number;
  col: number;
  /** Workspace-relative "file:line" for display. */
  label?: string;
}

export interface SimulationPayload {
  type: 'simulation';
  kind: 'simulate' | 'compare';
  title: string;
  cache: string;
  /** The model's ctor/dtor are the proposed conversion of a ctor-dtor-candidate cache. */
  converted: boolean;
  workload: string;
  cpus: number[];
  result: SimResult;
  report: string;
  anchors: Anchor[];
  elapsedMs: number;
  /**
   * What the workspace check reported about the cache (severities and ignores
   * as in the Problems panel); shown beside the simulated lockdep findings.
   * Absent for scenarios, which are not workspace caches.
   */
  staticFindings?: StaticFinding[];
}

export interface LockGraphEvidence {
  uri: string;
  file: string;
  line: number;
  character: number;
  note: string;
}

export interface LockGraphData {
  classes: { name: string; leaf: boolean }[];
  edges: { from: string; to: string; evidence: LockGraphEvidence[] }[];
  leaves: string[];
}

export interface LockGraphPayload {
  type: 'lockgraph';
  title: string;
  graph: LockGraphData;
  /** Workspace-relative labels of the evidence files, by absolute path. */
  labels: Record<string, string>;
}

export type PagePayload = SimulationPayload | LockGraphPayload;

function link(at: SourceRange, rel: (f: string) => string): SourceLink {
  return { file: at.file, line: at.startLine, col: at.startCol, label: `${rel(at.file)}:${at.startLine + 1}` };
}

/** Anchors of every name a cache model knows a source location for; the first location of a name wins. */
export function anchorsFor(models: CacheModel[], rel: (file: string) => string = (f) => f): Anchor[] {
  const out: Anchor[] = [];
  const seen = new Set<string>();
  const add = (text: string | undefined, kind: Anchor['kind'], at: SourceRange | undefined) => {
    if (!text || !at || !at.file || at.file.startsWith('<') || seen.has(text)) return;
    seen.add(text);
    out.push({ text, kind, ...link(at, rel) });
  };
  for (const m of models) {
    add(m.name, 'cache', m.at);
    for (const [kind, fn] of [['ctor', m.ctor], ['dtor', m.dtor]] as const) {
      if (!fn) continue;
      add(fn.name.replace(/ \(proposed\)$/, ''), kind, fn.at);
      for (const s of fn.steps as ModelStep[]) {
        if (s.kind === 'lock') add(s.lock, 'lock', s.at);
        else if (s.kind === 'alloc') add(s.allocator, 'alloc', s.at);
        else if (s.kind === 'free') add(s.allocator, 'free', s.at);
        else if (s.kind === 'call') add(s.fn, 'call', s.at);
      }
    }
    if (m.variable) add(m.variable, 'cache', m.at);
  }
  return out;
}

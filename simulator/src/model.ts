/**
 * The cache model contract: what the analysis engine extracts from C and the
 * simulator runs. Versioned JSON; the simulator never imports the server.
 */
export const CACHE_MODEL_VERSION = 1;

export interface SourceRange {
  file: string;
  /** 0-based line and column, like LSP. */
  startLine: number;
  startCol: number;
  endLine: number;
  endCol: number;
}

/** One step a ctor or dtor performs, in source order. */
export type ModelStep =
  | { kind: 'lock'; lock: string; lockKind: string; irq?: 'none' | 'irq' | 'irqsave' | 'bh'; trylock?: boolean; at?: SourceRange }
  | { kind: 'unlock'; lock: string; at?: SourceRange }
  | { kind: 'alloc'; allocator: string; gfp?: string; percpu?: boolean; bytes?: number; at?: SourceRange }
  | { kind: 'free'; allocator: string; percpu?: boolean; at?: SourceRange }
  | { kind: 'call'; fn: string; at?: SourceRange }
  | { kind: 'work'; ns: number };

export interface CtorDtorModel {
  /** Function name as written at the creation site. */
  name: string;
  /** Where it is defined, when the engine found it. */
  at?: SourceRange;
  steps: ModelStep[];
  /** One line: "allocates 2 percpu regions (GFP_KERNEL), takes no lock". */
  summary: string;
  maySleep: boolean;
}

export interface CacheModel {
  version: typeof CACHE_MODEL_VERSION;
  /** The cache's name string ("mm_struct"), or the expression when not a literal. */
  name: string;
  /** The variable the cache pointer is stored in, when known ("mm_cachep"). */
  variable?: string;
  /**
   * `assumed`: no value could be had from the code; `estimated`: computed from
   * the struct's definition with stated approximations (`note`).
   */
  objectSize: { bytes: number; expr?: string; assumed?: boolean; estimated?: boolean; note?: string };
  align: number;
  flags: string[];
  ctor?: CtorDtorModel;
  dtor?: CtorDtorModel;
  at: SourceRange;
}

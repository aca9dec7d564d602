/** Per-file facts: a pure function of one file's text, cacheable by content hash. */
import type { LockKind, IrqMode } from '../kb/locks';

/** 0-based [line, col, endLine, endCol], like LSP positions. */
export type Span = [number, number, number, number];

/** A lock expression reduced to what the index needs to name its class. */
export interface LockRef {
  /** Expression as written, without a leading '&' ("f->lock"). */
  text: string;
  /** Struct type of the base object when known ("foo" for struct foo *f). */
  baseType?: string;
  /** Field path from the base ("inner", "lock"). Empty for a plain variable. */
  fields: string[];
  /** Plain identifier (global or local variable holding the lock). */
  symbol?: string;
  /** The symbol is a local variable or a parameter of the function. */
  local?: boolean;
  /** The local is a function-scope static (one object for every call: a class of its own). */
  static?: boolean;
  /**
   * The reference starts from this parameter of the function and its type does not name the
   * class (a `spinlock_t *lock` parameter, a macro's argument, a `void *`): lockdep keys the
   * instance, so the class is the caller's argument's (bound where the function is called).
   */
  param?: number;
  /** The lock of a primitive declared in `.slabcheck.json` (`lockPrimitives`): the class, whatever the expression. */
  declared?: string;
}

/** A call argument that may be a lock (or the object holding one): argument index and its reference in the caller. */
export interface LockArg {
  i: number;
  ref: LockRef;
}

/**
 * An argument (or a cache expression) reduced to what the index needs to say what it is
 * across files: the caller's parameter it passes on, or the variable a path starts from.
 * `x`, `x->f.g` and `x[i].f` are paths; anything else (`a + b`, `f(x)`, `&x`) keeps only `t`.
 */
export interface ArgRef {
  /** As written, trimmed, whitespace collapsed, comments and string contents blanked; at most 80 characters. */
  t: string;
  /** The argument is the enclosing function's (or macro's) parameter with this index, written bare: `gfp`, `(gfp)`. */
  p?: number;
  /** A path whose first name is a local variable or a parameter (not a file-scope or extern variable); implied by `p`. */
  local?: boolean;
  /** That local's or parameter's struct type (`struct pool *p` -> "pool"), when the path has fields and the type is a struct. */
  type?: string;
}

export type FnEvent =
  | { k: 'lock'; fn: string; lock: number; kind: LockKind; irq: IrqMode; read?: boolean; trylock?: boolean; guard?: boolean; at: Span; held: number[]; irqOff: boolean; resultIgnored?: boolean }
  | { k: 'unlock'; fn: string; lock: number; kind: LockKind; irq: IrqMode; at: Span; held: number[]; irqOff: boolean }
  | { k: 'alloc'; fn: string; gfp?: string; cache?: string; cacheRef?: ArgRef; at: Span; held: number[]; irqOff: boolean; checked: boolean; assignedTo?: string; returned?: boolean }
  | { k: 'free'; fn: string; cache?: string; cacheRef?: ArgRef; arg?: string; at: Span; held: number[]; irqOff: boolean }
  /**
   * `args`: the call's arguments in order (absent when there are none, for logging/tracing
   * calls that are never descended into, and in lock-graph facts, which read no parameters).
   * `checked`/`returned`: what the function does with the call's result (set when true), as for allocations.
   */
  | { k: 'call'; fn: string; at: Span; held: number[]; irqOff: boolean; args?: ArgRef[]; checked?: boolean; returned?: boolean; lockArgs?: LockArg[] };

/** A lock-balance problem found on some path of a function. */
export interface Imbalance {
  /** 'leak' = held at a return; 'unheld' = released while not held. */
  kind: 'leak' | 'unheld';
  lock: number;
  at: Span;
  /** Where the lock was taken, for 'leak'. */
  takenAt?: Span;
}

export interface FunctionFacts {
  name: string;
  isStatic: boolean;
  at: Span;
  nameAt: Span;
  /** Return type text ("void", "int"). */
  returns: string;
  params: { name: string; type: string }[];
  /** Lock references used by events; events point into this by index. */
  locks: LockRef[];
  events: FnEvent[];
  imbalances: Imbalance[];
  /** Returns a value on some failure path (a `return -E...`/`return err` statement). */
  returnsError: boolean;
  /** Only the header was read (focused extraction); events are empty. */
  stub?: boolean;
  /** A function-like macro (`#define allocate_mm() kmem_cache_alloc(...)`), read as a function. */
  macro?: boolean;
}

/**
 * How a ctor/dtor argument was read: `f` (direct), `&f` (address-of), `c ? f : g` (conditional),
 * a parameter of the creating function, a field of a static table (`info->ctor`), a local
 * function pointer, `pick_ctor(x)` (selector: a call), the argument of a macro, the
 * kmem_cache_args given as an expression or a parameter, or any other expression.
 */
export type CtorHow =
  | 'direct' | 'address-of' | 'conditional' | 'parameter' | 'table-field' | 'local' | 'selector'
  | 'macro-argument' | 'args-expression' | 'args-parameter' | 'expression';

export type CtorRef =
  | { kind: 'none' }
  | { kind: 'function'; name: string; at: Span; how?: CtorHow; expr?: string }
  | { kind: 'indirect'; expr: string; why: string; at: Span; how?: CtorHow; candidates?: string[] };

export interface CacheCreation {
  /** API used: kmem_cache_create, kmem_cache_create_usercopy, __kmem_cache_create_args, KMEM_CACHE... */
  api: string;
  form: 'legacy5' | 'usercopy7' | 'args' | 'macro';
  name: string;
  size: string;
  align?: string;
  flags: string;
  ctor: CtorRef;
  dtor: CtorRef;
  /** The variable or lvalue that receives the cache ("mm_cachep", "s->cache"). */
  assignedTo?: string;
  /** `assignedTo` read in the creating function's scope (extract.ts), so the index can name the cache. */
  assignedRef?: ArgRef;
  /** Enclosing function. */
  inFunction?: string;
  at: Span;
  nameAt: Span;
  /** Where the kmem_cache_args initialiser is, when a variable was used. */
  argsAt?: Span;
}

/**
 * A function (or an expression) stored into a watched struct field (kb/contexts.ts ENTRY_FIELDS):
 * `.scan_objects = f` in an initialiser of `target`, or `target->scan_objects = f`.
 */
export interface FieldBinding {
  field: string;
  /** The function named by the value (through parentheses, casts and `&`); absent for any other expression. */
  fn?: string;
  /** The value as written. */
  expr: string;
  /** The object whose field is set: the initialised variable (`my_shrinker`, `outer.shrinker`) or the lvalue before `->`/`.` (`sbi->s_shrink`). */
  target: string;
  /** `->` or `.` for an assignment. */
  via?: '->' | '.';
  /** Struct type of an initialised variable (`struct shrinker x = {`). */
  struct?: string;
  form: 'initializer' | 'assignment';
  inFunction?: string;
  /** The value. */
  at: Span;
  /** The whole declaration (initialiser) or statement (assignment). */
  declAt?: Span;
  isStatic?: boolean;
}

/** A call of a registration API (kb/contexts.ts SHRINKER_CALLS), its arguments as written (strings kept). */
export interface RegistrationCall {
  api: string;
  args: string[];
  /** `x = api(...)` / `T *x = api(...)`. */
  assignedTo?: string;
  returned?: boolean;
  inFunction?: string;
  at: Span;
  /** The statement the call is in. */
  stmtAt?: Span;
  /** Not in facts: set by the context registry on a call in another file than the shrinker it registers. */
  file?: string;
}

export interface StructFacts {
  name: string;
  /** field -> type text ("spinlock_t", "struct list_head", "struct bar"). */
  fields: Record<string, string>;
  at: Span;
}

export interface GlobalLock {
  name: string;
  kind: LockKind;
  isStatic: boolean;
  at: Span;
}

export interface IgnoreDirective {
  /** Rule ids; empty = all rules. */
  rules: string[];
  /** 0-based line the directive applies to. */
  line: number;
  /** Applies to the whole enclosing function when written on the line of its name or above its body. */
  scope: 'line' | 'next-line' | 'function' | 'file';
}

export interface FileFacts {
  version: number;
  path: string;
  functions: FunctionFacts[];
  caches: CacheCreation[];
  structs: StructFacts[];
  globalLocks: GlobalLock[];
  /** File-scope variables: name -> type text (for lock symbols and cache pointers). */
  globals: Record<string, { type: string; isStatic: boolean }>;
  ignores: IgnoreDirective[];
  /** Parse quality: count of ERROR nodes; a message when the file could not be read or parsed. */
  errorNodes: number;
  problem?: string;
  /** Some functions are stubs: the file was read for its cache creations only. */
  partial?: boolean;
  /** Entry-point bindings and registration calls (facts/entry-points.ts); absent in focused and lock-graph facts. */
  entries?: { fields: FieldBinding[]; calls: RegistrationCall[] };
}

/**
 * Part of every facts cache key (engine/tasks.ts ENGINE_CACHE_KEY, which also hashes the
 * extractor's compiled code). 2: call arguments (ArgRef), cache references on alloc/free
 * events and creations. 4: lock references bound to parameters (LockRef.param, call lockArgs).
 * 5: entry points (field bindings, shrinker registration calls).
 */
export const FACTS_VERSION = 7;

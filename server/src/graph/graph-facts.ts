/**
 * The compact per-file form the whole-tree lock graph is built from. The
 * kernel's lock graph reads ~17k files: kept as FileFacts objects they took
 * 70 KB of heap each and a structured clone each on the way from the worker.
 * Here a file is two Int32Arrays (functions, events), a string table, and the
 * few objects class naming needs (lock references, struct fields, the globals
 * that locks name). Only what edges and evidence use is kept: unlock events
 * go, and a call made with nothing held is kept once per callee (it only adds
 * the callee's locks to the caller's closure).
 */
import { allocGfpClass } from '../kb/allocators';
import type { FileFacts, LockRef } from '../facts/types';

export interface GraphFile {
  path: string;
  names: string[];
  /** FN_FIELDS per function: name, flags (F_STATIC), returns (name or -1), first event, events, first lock ref, lock refs. */
  fns: Int32Array;
  /** EV_FIELDS per event: kind, name, held mask, lock ref (lock) or gfp name (alloc, -1), flags, line, col, endLine, endCol. */
  events: Int32Array;
  locks: LockRef[];
  /**
   * Calls' lock arguments (types.ts LockArg): triples of event index, argument index, and the
   * reference as JSON in `names` (millions on the kernel, read only where a callee binds one).
   */
  largs: Int32Array;
  structs: { name: string; fields: Record<string, string> }[];
  /** File-scope variables that lock references name. */
  globals: Record<string, { type: string; isStatic: boolean }>;
}

export const FN_FIELDS = 7;
export const EV_FIELDS = 9;
export const F_STATIC = 1;

export const EV_LOCK = 0;
export const EV_ALLOC = 1;
export const EV_FREE = 2;
export const EV_CALL = 3;

export const E_IRQ_OFF = 1;
export const E_TRYLOCK = 2;
/** Allocation whose gfp may sleep (enters reclaim). */
export const E_GFP_SLEEP = 4;
export const E_GFP_ATOMIC = 8;

/** Held locks as a bit mask of lock-reference indices; a function's 31st and later references are not tracked. */
export const MAX_HELD_BIT = 30;

export function toGraphFile(f: FileFacts): GraphFile {
  const names: string[] = [];
  const nameIdx = new Map<string, number>();
  const name = (s: string) => {
    let i = nameIdx.get(s);
    if (i === undefined) {
      i = names.push(s) - 1;
      nameIdx.set(s, i);
    }
    return i;
  };
  const fns: number[] = [];
  const events: number[] = [];
  const locks: LockRef[] = [];
  const largs: number[] = [];
  const symbols = new Set<string>();
  for (const fn of f.functions) {
    const firstEvent = events.length / EV_FIELDS;
    const seenCalls = new Set<string>();
    for (const e of fn.events) {
      if (e.k === 'unlock') continue;
      let held = 0;
      for (const h of e.held) if (h <= MAX_HELD_BIT) held |= 1 << h;
      // Each call that passes a lock binds the callee's parameter-bound locks differently.
      if (e.k === 'call' && held === 0 && !e.lockArgs) {
        if (seenCalls.has(e.fn)) continue;
        seenCalls.add(e.fn);
      }
      if (e.k === 'call' && e.lockArgs) {
        for (const a of e.lockArgs) {
          largs.push(events.length / EV_FIELDS, a.i, name(JSON.stringify(a.ref)));
          if (a.ref.symbol && !a.ref.local) symbols.add(a.ref.symbol);
        }
      }
      let kind = EV_CALL;
      let ref = -1;
      let flags = e.irqOff ? E_IRQ_OFF : 0;
      if (e.k === 'lock') {
        kind = EV_LOCK;
        ref = e.lock;
        if (e.trylock) flags |= E_TRYLOCK;
      } else if (e.k === 'alloc') {
        kind = EV_ALLOC;
        ref = e.gfp ? name(e.gfp) : -1;
        const c = allocGfpClass(e.fn, e.gfp);
        if (c === 'sleep') flags |= E_GFP_SLEEP;
        else if (c === 'atomic') flags |= E_GFP_ATOMIC;
      } else if (e.k === 'free') kind = EV_FREE;
      events.push(kind, name(e.fn), held, ref, flags, e.at[0], e.at[1], e.at[2], e.at[3]);
    }
    for (const l of fn.locks) if (l.symbol && !l.local) symbols.add(l.symbol);
    fns.push(name(fn.name), fn.isStatic ? F_STATIC : 0, fn.returns ? name(fn.returns) : -1, firstEvent, events.length / EV_FIELDS - firstEvent, locks.length, fn.locks.length);
    locks.push(...fn.locks);
  }
  const globals: GraphFile['globals'] = {};
  for (const s of symbols) if (f.globals[s]) globals[s] = f.globals[s];
  return {
    path: f.path, names, fns: Int32Array.from(fns), events: Int32Array.from(events), locks, largs: Int32Array.from(largs),
    structs: f.structs.map((s) => ({ name: s.name, fields: s.fields })), globals,
  };
}

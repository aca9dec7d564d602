import * as fs from 'fs';
import type { Fix, Rule } from './types';
import { fromChain } from './types';
import type { Analysis, LockAcq } from '../index/analysis';
import { readHolders, reclaimLockHits } from '../contexts/constraints/reclaim-lock';
import { SLEEPING_KINDS } from '../kb/locks';
import { trace } from '../engine/trace';
import type { Callback, ShrinkerInfo } from '../contexts/registry';
import { TRYLOCK_OF } from '../kb/contexts';
import { callbackLabel, registeredStep, resolvedCallbacks, unreadSteps } from './shrinker-common';

/** The shrinker contexts' `no-reclaim-lock` constraint (shared with dtor-reclaim-deadlock). */
export const shrinkerReclaimDeadlock: Rule = {
  meta: {
    id: 'shrinker-reclaim-deadlock',
    defaultSeverity: 'error',
    description: 'A shrinker callback waits for a sleeping lock that some code holds while allocating with a reclaim-capable gfp.',
    semantics: 'any',
    explanation: [
      'Lockdep models reclaim with the `fs_reclaim` pseudo-lock: an allocation that may enter direct reclaim "takes" it, and',
      'reclaim "holds" it while it runs the shrinkers (mm/page_alloc.c `__perform_reclaim()`: `fs_reclaim_acquire(gfp)`).',
      'If some code allocates with `GFP_KERNEL` while holding lock L (L -> fs_reclaim), and a shrinker callback waits for L',
      '(fs_reclaim -> L), the task holding L enters reclaim, runs this shrinker, and the shrinker waits for L, held by',
      'that same task (or by another one stuck in the same way): a deadlock. The evidence names the allocation under L.',
      '',
      'This is why `include/linux/shrinker.h` asks `scan_objects` to return `SHRINK_STOP` "if progress cannot be made due',
      'to potential deadlocks", and why shrinkers take their locks with `mutex_trylock()`/`down_read_trylock()`',
      '(the shrinker registry itself did, under `shrinker_rwsem`, until the lockless-shrink series, seeds/003).',
      '',
      '**Fix:** take the lock with a trylock and return `SHRINK_STOP` (scan) or 0 (count) when it is busy (code action where the',
      'acquisition is a plain statement of the callback), or never allocate with a reclaim-capable gfp under L.',
    ].join('\n'),
  },
  check() {},
  async prepareShrinkers(ctx, shrinkers) {
    const a = ctx.analysis;
    if (!a.project.demandDriven) return;
    const classes = new Set<string>();
    const files = new Set<string>();
    for (const s of shrinkers) for (const c of resolvedCallbacks(s)) {
      for (const acq of a.summary(c.fn).acquires.values()) {
        if (acq.trylock || !SLEEPING_KINDS.has(acq.kind)) continue;
        classes.add(acq.cls);
        for (const f of dirFiles(a, [s.file, c.fn.file, ...acq.chain.map((x) => x.file)])) files.add(f);
      }
    }
    trace(`shrinker locks summarised (${classes.size} sleeping classes, ${files.size} holder candidates)`);
    await readHolders(a, [...classes], [...files]);
    trace('shrinker lock holders read');
  },
  async checkShrinker(ctx, s) {
    for (const c of resolvedCallbacks(s)) {
      const onlyInContext = new Set([`${c.fn.file}#${c.fn.fn.name}`]);
      // Demand-driven, holders of L are looked for in the directories (not subdirectories) of the shrinker's file,
      // the callback's, and the files on the way to L.
      const scope = (acq: LockAcq) => dirFiles(ctx.analysis, [s.file, c.fn.file, ...acq.chain.map((x) => x.file)]);
      for (const { acq, edge } of await reclaimLockHits(ctx.analysis, c.fn, { sleepingOnly: true, scope, fsOnly: true, onlyInContext })) {
        const loc = fromChain(acq.chain);
        const fix = trylockFix(ctx.analysis, acq, c);
        ctx.report({
          ...loc,
          related: [...loc.related, ...edge.chain, registeredStep(s, c), ...unreadSteps(ctx.analysis, c.fn)],
          message: `reclaim deadlock: ${callbackLabel(s, c)} waits for ${acq.cls}, and ${acq.cls} is held while allocating with a gfp that may enter reclaim (${acq.cls} -> fs_reclaim -> shrinker -> ${acq.cls})`,
          ...(fix ? { fixes: [fix] } : {}),
        });
      }
    }
  },
};


const dirMemo = new WeakMap<Analysis, Map<string, string[]>>();
function dirFiles(a: Analysis, files: string[]): string[] {
  let m = dirMemo.get(a);
  if (!m) {
    dirMemo.set(a, (m = new Map()));
    for (const f of a.project.files) {
      const d = f.slice(0, f.lastIndexOf('/'));
      const l = m.get(d);
      if (l) l.push(f);
      else m.set(d, [f]);
    }
  }
  return [...new Set(files.flatMap((f) => m!.get(f.slice(0, f.lastIndexOf('/'))) ?? [f]))];
}

/** `mutex_lock(&l);` as a statement of the callback itself -> `if (!mutex_trylock(&l)) return SHRINK_STOP;`. */
function trylockFix(a: Analysis, acq: LockAcq, c: Callback & { fn: { file: string } }): Fix | undefined {
  if (acq.chain.length !== 1) return undefined;
  const step = acq.chain[0];
  const text = a.project.overlays.get(step.file) ?? safeRead(step.file);
  if (text === undefined) return undefined;
  const line = text.split('\n')[step.span[0]];
  const m = /^(\s*)([a-z_]+)\((.*)\);\s*$/.exec(line ?? '');
  if (!m || !TRYLOCK_OF[m[2]]) return undefined;
  const ret = c.role === 'scan_objects' ? 'SHRINK_STOP' : '0';
  const ind = m[1];
  return {
    title: `Take ${acq.cls} with ${TRYLOCK_OF[m[2]]}() and return ${ret} when it is busy`,
    edits: [{ file: step.file, span: [step.span[0], 0, step.span[0], line.replace(/\r$/, '').length], newText: `${ind}if (!${TRYLOCK_OF[m[2]]}(${m[3]}))\n${ind}\treturn ${ret};` }],
  };
}

function safeRead(f: string): string | undefined {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

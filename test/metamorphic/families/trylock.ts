/**
 * A lock replaced by its trylock, bailing out when it fails:
 * `spin_lock(&l);` -> `if (!spin_trylock(&l)) return;` (spin_trylock_irqsave, spin_trylock_bh,
 * spin_trylock_irq, mutex_trylock, down_read_trylock, down_write_trylock...).
 *
 * Only the simple pattern: the lock statement is directly in a function's body, only lock
 * and unlock calls come before it and they are all released (no lock is held, interrupts are
 * as on entry, nothing allocated leaks on the bail-out), it is the function's only
 * acquisition of that lock expression and its unlock follows; the function is called by
 * nobody in the workspace (a ctor/dtor, or a root such as an allocating caller), or it is a
 * helper that calls nothing but this lock and its unlock, called only by ctors/dtors with
 * nothing held. The return is `return;`, `return -EBUSY;` or `return NULL;` by the return type.
 *
 * Expected findings: a bail-out trylock is not a waiting acquisition. When the function is a
 * ctor or dtor, the findings that waiting on the lock caused at that statement go (for such
 * a helper, at the ctor/dtor's calls of it)
 * (dtor-non-leaf-lock, dtor-reclaim-deadlock, dtor-sleeping-lock, ctor-lock-inversion; and,
 * for a sleeping lock, dtor-may-sleep and ctor-may-sleep-in-atomic: mutex_lock sleeps,
 * mutex_trylock does not). Everything else is unchanged: the lock is still held after a
 * successful trylock, so what is allocated, slept on or nested under it, lock balance, and
 * taking a spinlock with interrupts on (dtor-irq-unsafe-lock) stay; in a root function the
 * trylock holder still holds the lock while it does the rest, so its findings stay too.
 */
import { ctorDtorNames, Expected, Family, Variant } from '../family';
import { LOCK_OPS, SLEEPING_KINDS } from '../../../server/src/kb/locks';
import { findAtomicRegistrations } from '../../../server/src/contexts/registrations';
import { calls, copy, editFiles, lineAt, lit, sources } from '../text';
import { LockStmt, lockStatements } from './locks';

const TRY: Record<string, string> = {
  spin_lock: 'spin_trylock', spin_lock_irq: 'spin_trylock_irq', spin_lock_irqsave: 'spin_trylock_irqsave', spin_lock_bh: 'spin_trylock_bh',
  raw_spin_lock: 'raw_spin_trylock', raw_spin_lock_irqsave: 'raw_spin_trylock_irqsave',
  mutex_lock: 'mutex_trylock', down_read: 'down_read_trylock', down_write: 'down_write_trylock',
  read_lock: 'read_trylock', write_lock: 'write_trylock',
};
const WAITING = new Set(['dtor-non-leaf-lock', 'dtor-reclaim-deadlock', 'dtor-sleeping-lock', 'ctor-lock-inversion', 'nmi-waiting-lock', 'irq-sleeping-lock']);
const SLEEPING = new Set(['dtor-may-sleep', 'ctor-may-sleep-in-atomic', 'irq-may-sleep']);

/** Lock expressions held (textually: acquired and not yet released) before `offset` in the function starting at `fnStart`. */
function heldBefore(stmts: LockStmt[], file: string, fnStart: number, offset: number): number {
  const held = new Map<string, number>();
  for (const o of stmts) {
    if (o.file !== file || o.fn.start !== fnStart || o.call.start >= offset) continue;
    held.set(o.lock, (held.get(o.lock) ?? 0) + (o.op === 'acquire' ? 1 : -1));
  }
  return [...held.values()].filter((n) => n > 0).length;
}

const IRQ_OFF = /^(?:local_irq_save|local_irq_disable|local_bh_disable|preempt_disable)$/;

export const trylock: Family = {
  name: 'trylock',
  variants(fx) {
    const out: Variant[] = [];
    const allCalls = sources(fx.files).flatMap((file) => calls(fx.files[file]).map((c) => ({ file, c })));
    // The functions that run in a context: ctors/dtors, and the NMI/tracing/hardirq entry points.
    const ctorDtor = new Set([...ctorDtorNames(fx.files), ...Object.values(fx.files).flatMap((t) => findAtomicRegistrations(t).flatMap((r) => (r.fn ? [r.fn] : [])))]);
    const stmts = lockStatements(fx.files);
    for (const s of stmts) {
      const tryName = TRY[s.call.name];
      if (!tryName || s.op !== 'acquire' || s.depth !== 1) continue;
      const mine = allCalls.filter((x) => x.file === s.file && x.c.fn.start === s.fn.start);
      // Before it: only lock and unlock calls, all released (nothing held, interrupts as on entry, nothing to leak).
      if (mine.some((x) => x.c.start < s.call.start && (!(x.c.name in LOCK_OPS) || IRQ_OFF.test(x.c.name)))) continue;
      if (heldBefore(stmts, s.file, s.fn.start, s.call.start)) continue;
      const same = stmts.filter((o) => o.file === s.file && o.fn.start === s.fn.start && o.lock === s.lock);
      if (same.filter((o) => o.op === 'acquire').length !== 1 || !same.some((o) => o.op === 'release' && o.call.start > s.call.start)) continue;
      const ret = s.fn.returns === 'void' ? 'return;' : s.fn.returns === 'int' ? 'return -EBUSY;' : s.fn.returns.includes('*') ? 'return NULL;' : undefined;
      if (!ret) continue;
      // Who waits on it: the function itself when it is a ctor/dtor; a helper whose only calls are this
      // lock and its unlock waits for the ctors/dtors that call it with nothing held (their call lines).
      const callers = allCalls.filter((x) => x.c.name === s.fn.name);
      const onlyThisLock = mine.every((x) => x.c.start === s.call.start || (x.c.name in LOCK_OPS && x.c.args[0]?.text === s.lock && LOCK_OPS[x.c.name].op === 'release'));
      let waitSites: { file: string; offset: number }[];
      if (!callers.length) waitSites = ctorDtor.has(s.fn.name) ? [{ file: s.file, offset: s.call.start }] : [];
      else if (onlyThisLock && callers.every((x) => ctorDtor.has(x.c.fn.name) && !heldBefore(stmts, x.file, x.c.fn.start, x.c.start))) waitSites = callers.map((x) => ({ file: x.file, offset: x.c.start }));
      else continue;
      const r = editFiles(fx.files, {
        [s.file]: [{ start: s.call.start, end: s.end, text: '', pieces: [lit(`if (!${tryName}`), copy(s.file, s.call.open, s.call.end), lit(`)\n${s.indent}\t${ret}`)] }],
      });
      if (!r) continue;
      const lines = new Set(waitSites.map((w) => {
        const at = r.map(w)!;
        return `${at.file}:${lineAt(r.files[at.file], at.offset)}`;
      }));
      const sleeping = SLEEPING_KINDS.has(LOCK_OPS[s.call.name].kind);
      const gone = (e: Expected) => lines.has(`${e.file}:${e.line}`) && (WAITING.has(e.rule) || (sleeping && SLEEPING.has(e.rule)));
      out.push({ label: `${s.call.name} -> ${tryName} in ${s.fn.name}()`, rewritten: r, adjust: (mapped) => mapped.filter((e) => !gone(e)) });
    }
    return out;
  },
};

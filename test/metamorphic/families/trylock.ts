/**
 * A lock replaced by its trylock, bailing out when it fails:
 * `spin_lock(&l);` -> `if (!spin_trylock(&l)) return;` (spin_trylock_irqsave, spin_trylock_bh,
 * spin_trylock_irq, mutex_trylock, down_read_trylock, down_write_trylock...).
 *
 * Only the simple pattern: the lock statement is directly in the body of a function nobody
 * in the workspace calls (a ctor/dtor, or a root such as an allocating caller), nothing is
 * called before it (no lock is held, interrupts are as on entry, nothing allocated leaks on
 * the bail-out), it is the function's only acquisition of that lock expression and its unlock
 * follows. The return is `return;`, `return -EBUSY;` or `return NULL;` by the return type.
 *
 * Expected findings: a bail-out trylock is not a waiting acquisition. When the function is a
 * ctor or dtor, the findings that waiting on the lock caused at that statement go
 * (dtor-non-leaf-lock, dtor-reclaim-deadlock, dtor-sleeping-lock, ctor-lock-inversion; and,
 * for a sleeping lock, dtor-may-sleep and ctor-may-sleep-in-atomic: mutex_lock sleeps,
 * mutex_trylock does not). Everything else is unchanged: the lock is still held after a
 * successful trylock, so what is allocated, slept on or nested under it, lock balance, and
 * taking a spinlock with interrupts on (dtor-irq-unsafe-lock) stay; in a root function the
 * trylock holder still holds the lock while it does the rest, so its findings stay too.
 */
import { ctorDtorNames, Expected, Family, Variant } from '../family';
import { LOCK_OPS, SLEEPING_KINDS } from '../../../server/src/kb/locks';
import { calls, copy, editFiles, lineAt, lit, sources } from '../text';
import { lockStatements } from './locks';

const TRY: Record<string, string> = {
  spin_lock: 'spin_trylock', spin_lock_irq: 'spin_trylock_irq', spin_lock_irqsave: 'spin_trylock_irqsave', spin_lock_bh: 'spin_trylock_bh',
  raw_spin_lock: 'raw_spin_trylock', raw_spin_lock_irqsave: 'raw_spin_trylock_irqsave',
  mutex_lock: 'mutex_trylock', down_read: 'down_read_trylock', down_write: 'down_write_trylock',
  read_lock: 'read_trylock', write_lock: 'write_trylock',
};
const WAITING = new Set(['dtor-non-leaf-lock', 'dtor-reclaim-deadlock', 'dtor-sleeping-lock', 'ctor-lock-inversion']);
const SLEEPING = new Set(['dtor-may-sleep', 'ctor-may-sleep-in-atomic']);

export const trylock: Family = {
  name: 'trylock',
  variants(fx) {
    const out: Variant[] = [];
    const called = new Set<string>();
    for (const file of sources(fx.files)) for (const c of calls(fx.files[file])) called.add(c.name);
    const ctorDtor = ctorDtorNames(fx.files);
    const stmts = lockStatements(fx.files);
    for (const s of stmts) {
      const tryName = TRY[s.call.name];
      if (!tryName || s.op !== 'acquire' || s.depth !== 1 || called.has(s.fn.name)) continue;
      const src = fx.files[s.file];
      if (calls(src).some((c) => c.fn.start === s.fn.start && c.start < s.call.start)) continue;
      const same = stmts.filter((o) => o.file === s.file && o.fn.start === s.fn.start && o.lock === s.lock);
      if (same.filter((o) => o.op === 'acquire').length !== 1 || !same.some((o) => o.op === 'release' && o.call.start > s.call.start)) continue;
      const ret = s.fn.returns === 'void' ? 'return;' : s.fn.returns === 'int' ? 'return -EBUSY;' : s.fn.returns.includes('*') ? 'return NULL;' : undefined;
      if (!ret) continue;
      const r = editFiles(fx.files, {
        [s.file]: [{ start: s.call.start, end: s.end, text: '', pieces: [lit(`if (!${tryName}`), copy(s.file, s.call.open, s.call.end), lit(`)\n${s.indent}\t${ret}`)] }],
      });
      if (!r) continue;
      const at = r.map({ file: s.file, offset: s.call.start })!;
      const line = lineAt(r.files[at.file], at.offset);
      const waits = ctorDtor.has(s.fn.name);
      const sleeping = SLEEPING_KINDS.has(LOCK_OPS[s.call.name].kind);
      const gone = (e: Expected) => waits && e.file === at.file && e.line === line && (WAITING.has(e.rule) || (sleeping && SLEEPING.has(e.rule)));
      out.push({ label: `${s.call.name} -> ${tryName} in ${s.fn.name}()`, rewritten: r, adjust: (mapped) => mapped.filter((e) => !gone(e)) });
    }
    return out;
  },
};

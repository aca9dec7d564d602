/**
 * Lock primitives as data. Each entry names the operation, the lock kind, what
 * it does to interrupts, and whether it can fail (trylock). Sources:
 * include/linux/spinlock.h, rwlock.h, mutex.h, rwsem.h, semaphore.h,
 * local_lock.h, seqlock.h, bit_spinlock.h, cleanup.h (guard classes),
 * Documentation/locking/locktypes.rst.
 */
export type LockKind =
  | 'spin' | 'raw_spin' | 'rwlock' | 'mutex' | 'rwsem' | 'semaphore'
  | 'local_lock' | 'seqlock' | 'bit_spin' | 'rcu';

export type IrqMode = 'none' | 'irq' | 'irqsave' | 'bh';

export interface LockOp {
  op: 'acquire' | 'release';
  kind: LockKind;
  irq: IrqMode;
  /** trylock: returns non-zero on success; 'zero' = returns 0 on success (mutex_lock_interruptible). */
  conditional?: 'nonzero' | 'zero';
  /** Shared (reader) acquisition. */
  read?: boolean;
  /** Index of the lock argument (bit_spin_lock(bitnum, addr) has it at 1). */
  lockArg?: number;
  /**
   * A wrapper macro whose lock is a fixed member of the object it is given: `xa_lock(xa)` is
   * `spin_lock(&(xa)->xa_lock)`, so the class is `xarray.xa_lock` whatever the argument.
   */
  member?: { struct: string; field: string };
  /** A primitive declared in `.slabcheck.json` (`lockPrimitives`): its lock is this class whatever the argument. */
  declared?: string;
}

/** A lock mode, as `.slabcheck.json` `lockRules` key them. */
export type LockMode = 'read' | 'write' | 'exclusive';

/** One `.slabcheck.json` `lockPrimitives` entry: a function that is a lock operation on a class. */
export interface DeclaredPrimitive {
  class: string;
  op: 'lock' | 'trylock' | 'unlock';
  mode: LockMode;
  /** How its waiters wait: spinning by default (`rwlock` for read/write modes, `spin` for exclusive). */
  kind?: LockKind;
  irq?: IrqMode;
}

/** A declared primitive as the function reader's table entry (the same shape as the built-in ones). */
export function declaredLockOp(p: DeclaredPrimitive): LockOp {
  const kind = p.kind ?? (p.mode === 'exclusive' ? 'spin' : 'rwlock');
  return {
    op: p.op === 'unlock' ? 'release' : 'acquire', kind, irq: p.irq ?? 'none', declared: p.class,
    ...(p.mode === 'read' ? { read: true } : {}), ...(p.op === 'trylock' ? { conditional: 'nonzero' as const } : {}),
  };
}

/** The mode of an acquisition: reader, writer of a read/write kind, or exclusive. */
export function lockMode(kind: LockKind, read: boolean | undefined): LockMode {
  if (read) return 'read';
  return kind === 'rwlock' || kind === 'rwsem' || kind === 'seqlock' ? 'write' : 'exclusive';
}

/** Kinds whose waiters sleep. */
export const SLEEPING_KINDS: ReadonlySet<LockKind> = new Set(['mutex', 'rwsem', 'semaphore']);
/** Spinning kinds (on PREEMPT_RT spin/rwlock/local_lock sleep, which we note in explanations). */
export const SPINNING_KINDS: ReadonlySet<LockKind> = new Set(['spin', 'raw_spin', 'rwlock', 'bit_spin', 'seqlock', 'local_lock']);

const table: Record<string, LockOp> = {};
function add(names: string[], op: LockOp): void {
  for (const n of names) table[n] = op;
}

// spinlock_t and raw_spinlock_t
for (const [prefix, kind] of [['spin', 'spin'], ['raw_spin', 'raw_spin']] as const) {
  add([`${prefix}_lock`, `${prefix}_lock_nested`, `${prefix}_lock_nest_lock`], { op: 'acquire', kind, irq: 'none' });
  add([`${prefix}_lock_irq`], { op: 'acquire', kind, irq: 'irq' });
  add([`${prefix}_lock_irqsave`, `${prefix}_lock_irqsave_nested`], { op: 'acquire', kind, irq: 'irqsave' });
  add([`${prefix}_lock_bh`], { op: 'acquire', kind, irq: 'bh' });
  add([`${prefix}_trylock`], { op: 'acquire', kind, irq: 'none', conditional: 'nonzero' });
  add([`${prefix}_trylock_irq`], { op: 'acquire', kind, irq: 'irq', conditional: 'nonzero' });
  add([`${prefix}_trylock_irqsave`], { op: 'acquire', kind, irq: 'irqsave', conditional: 'nonzero' });
  add([`${prefix}_trylock_bh`], { op: 'acquire', kind, irq: 'bh', conditional: 'nonzero' });
  add([`${prefix}_unlock`], { op: 'release', kind, irq: 'none' });
  add([`${prefix}_unlock_irq`], { op: 'release', kind, irq: 'irq' });
  add([`${prefix}_unlock_irqrestore`], { op: 'release', kind, irq: 'irqsave' });
  add([`${prefix}_unlock_bh`], { op: 'release', kind, irq: 'bh' });
}
// rwlock_t
for (const rw of ['read', 'write'] as const) {
  const read = rw === 'read';
  add([`${rw}_lock`], { op: 'acquire', kind: 'rwlock', irq: 'none', read });
  add([`${rw}_lock_irq`], { op: 'acquire', kind: 'rwlock', irq: 'irq', read });
  add([`${rw}_lock_irqsave`], { op: 'acquire', kind: 'rwlock', irq: 'irqsave', read });
  add([`${rw}_lock_bh`], { op: 'acquire', kind: 'rwlock', irq: 'bh', read });
  add([`${rw}_trylock`], { op: 'acquire', kind: 'rwlock', irq: 'none', read, conditional: 'nonzero' });
  add([`${rw}_unlock`], { op: 'release', kind: 'rwlock', irq: 'none', read });
  add([`${rw}_unlock_irq`], { op: 'release', kind: 'rwlock', irq: 'irq', read });
  add([`${rw}_unlock_irqrestore`], { op: 'release', kind: 'rwlock', irq: 'irqsave', read });
  add([`${rw}_unlock_bh`], { op: 'release', kind: 'rwlock', irq: 'bh', read });
}
// struct mutex
add(['mutex_lock', 'mutex_lock_nested', 'mutex_lock_io', 'mutex_lock_nest_lock'], { op: 'acquire', kind: 'mutex', irq: 'none' });
add(['mutex_lock_interruptible', 'mutex_lock_killable', 'mutex_lock_interruptible_nested', 'mutex_lock_killable_nested'],
  { op: 'acquire', kind: 'mutex', irq: 'none', conditional: 'zero' });
add(['mutex_trylock'], { op: 'acquire', kind: 'mutex', irq: 'none', conditional: 'nonzero' });
add(['mutex_unlock'], { op: 'release', kind: 'mutex', irq: 'none' });
// struct rw_semaphore
add(['down_read', 'down_read_nested', 'down_read_non_owner'], { op: 'acquire', kind: 'rwsem', irq: 'none', read: true });
add(['down_read_killable', 'down_read_interruptible', 'down_read_killable_nested'], { op: 'acquire', kind: 'rwsem', irq: 'none', read: true, conditional: 'zero' });
add(['down_read_trylock'], { op: 'acquire', kind: 'rwsem', irq: 'none', read: true, conditional: 'nonzero' });
add(['down_write', 'down_write_nested', 'down_write_nest_lock'], { op: 'acquire', kind: 'rwsem', irq: 'none' });
add(['down_write_killable', 'down_write_killable_nested'], { op: 'acquire', kind: 'rwsem', irq: 'none', conditional: 'zero' });
add(['down_write_trylock'], { op: 'acquire', kind: 'rwsem', irq: 'none', conditional: 'nonzero' });
add(['up_read', 'up_read_non_owner'], { op: 'release', kind: 'rwsem', irq: 'none', read: true });
add(['up_write'], { op: 'release', kind: 'rwsem', irq: 'none' });
// struct semaphore
add(['down'], { op: 'acquire', kind: 'semaphore', irq: 'none' });
add(['down_interruptible', 'down_killable', 'down_timeout'], { op: 'acquire', kind: 'semaphore', irq: 'none', conditional: 'zero' });
add(['down_trylock'], { op: 'acquire', kind: 'semaphore', irq: 'none', conditional: 'zero' });
add(['up'], { op: 'release', kind: 'semaphore', irq: 'none' });
// local_lock_t
add(['local_lock'], { op: 'acquire', kind: 'local_lock', irq: 'none' });
add(['local_lock_irq'], { op: 'acquire', kind: 'local_lock', irq: 'irq' });
add(['local_lock_irqsave'], { op: 'acquire', kind: 'local_lock', irq: 'irqsave' });
add(['local_unlock'], { op: 'release', kind: 'local_lock', irq: 'none' });
add(['local_unlock_irq'], { op: 'release', kind: 'local_lock', irq: 'irq' });
add(['local_unlock_irqrestore'], { op: 'release', kind: 'local_lock', irq: 'irqsave' });
// seqlock_t writers (readers are lockless retries and do not wait)
add(['write_seqlock', 'write_seqlock_bh'], { op: 'acquire', kind: 'seqlock', irq: 'none' });
add(['write_seqlock_irq'], { op: 'acquire', kind: 'seqlock', irq: 'irq' });
add(['write_seqlock_irqsave'], { op: 'acquire', kind: 'seqlock', irq: 'irqsave' });
add(['read_seqlock_excl', 'read_seqlock_excl_bh'], { op: 'acquire', kind: 'seqlock', irq: 'none', read: true });
add(['write_sequnlock', 'write_sequnlock_bh'], { op: 'release', kind: 'seqlock', irq: 'none' });
add(['write_sequnlock_irq'], { op: 'release', kind: 'seqlock', irq: 'irq' });
add(['write_sequnlock_irqrestore'], { op: 'release', kind: 'seqlock', irq: 'irqsave' });
add(['read_sequnlock_excl', 'read_sequnlock_excl_bh'], { op: 'release', kind: 'seqlock', irq: 'none', read: true });
// bit spinlocks: bit_spin_lock(bitnum, addr)
add(['bit_spin_lock'], { op: 'acquire', kind: 'bit_spin', irq: 'none', lockArg: 1 });
add(['bit_spin_trylock'], { op: 'acquire', kind: 'bit_spin', irq: 'none', lockArg: 1, conditional: 'nonzero' });
add(['bit_spin_unlock', '__bit_spin_unlock'], { op: 'release', kind: 'bit_spin', irq: 'none', lockArg: 1 });

// XArray lock wrappers (include/linux/xarray.h, 6.12: xa_lock() ... xa_lock_irqsave_nested(),
// xas_lock() = xa_lock((xas)->xa) ...): the XArray's own spinlock.
{
  const xa = { struct: 'xarray', field: 'xa_lock' };
  for (const pre of ['xa', 'xas']) {
    add([`${pre}_lock`], { op: 'acquire', kind: 'spin', irq: 'none', member: xa });
    add([`${pre}_lock_bh`], { op: 'acquire', kind: 'spin', irq: 'bh', member: xa });
    add([`${pre}_lock_irq`], { op: 'acquire', kind: 'spin', irq: 'irq', member: xa });
    add([`${pre}_lock_irqsave`], { op: 'acquire', kind: 'spin', irq: 'irqsave', member: xa });
    add([`${pre}_unlock`], { op: 'release', kind: 'spin', irq: 'none', member: xa });
    add([`${pre}_unlock_bh`], { op: 'release', kind: 'spin', irq: 'bh', member: xa });
    add([`${pre}_unlock_irq`], { op: 'release', kind: 'spin', irq: 'irq', member: xa });
    add([`${pre}_unlock_irqrestore`], { op: 'release', kind: 'spin', irq: 'irqsave', member: xa });
  }
  add(['xa_lock_nested'], { op: 'acquire', kind: 'spin', irq: 'none', member: xa });
  add(['xa_lock_bh_nested'], { op: 'acquire', kind: 'spin', irq: 'bh', member: xa });
  add(['xa_lock_irq_nested'], { op: 'acquire', kind: 'spin', irq: 'irq', member: xa });
  add(['xa_lock_irqsave_nested'], { op: 'acquire', kind: 'spin', irq: 'irqsave', member: xa });
  add(['xa_trylock'], { op: 'acquire', kind: 'spin', irq: 'none', conditional: 'nonzero', member: xa });
}

export const LOCK_OPS: Readonly<Record<string, LockOp>> = table;

/**
 * guard()/scoped_guard() classes from include/linux/cleanup.h users
 * (DEFINE_LOCK_GUARD_1 / DEFINE_GUARD in spinlock.h, mutex.h, rwsem.h...).
 */
export const GUARD_CLASSES: Readonly<Record<string, { kind: LockKind; irq: IrqMode; read?: boolean; conditional?: boolean }>> = {
  spinlock: { kind: 'spin', irq: 'none' },
  spinlock_irq: { kind: 'spin', irq: 'irq' },
  spinlock_irqsave: { kind: 'spin', irq: 'irqsave' },
  spinlock_bh: { kind: 'spin', irq: 'bh' },
  spinlock_try: { kind: 'spin', irq: 'none', conditional: true },
  spinlock_irqsave_try: { kind: 'spin', irq: 'irqsave', conditional: true },
  raw_spinlock: { kind: 'raw_spin', irq: 'none' },
  raw_spinlock_irq: { kind: 'raw_spin', irq: 'irq' },
  raw_spinlock_irqsave: { kind: 'raw_spin', irq: 'irqsave' },
  raw_spinlock_try: { kind: 'raw_spin', irq: 'none', conditional: true },
  read_lock: { kind: 'rwlock', irq: 'none', read: true },
  read_lock_irq: { kind: 'rwlock', irq: 'irq', read: true },
  read_lock_irqsave: { kind: 'rwlock', irq: 'irqsave', read: true },
  write_lock: { kind: 'rwlock', irq: 'none' },
  write_lock_irq: { kind: 'rwlock', irq: 'irq' },
  write_lock_irqsave: { kind: 'rwlock', irq: 'irqsave' },
  mutex: { kind: 'mutex', irq: 'none' },
  mutex_intr: { kind: 'mutex', irq: 'none', conditional: true },
  mutex_try: { kind: 'mutex', irq: 'none', conditional: true },
  rwsem_read: { kind: 'rwsem', irq: 'none', read: true },
  rwsem_read_try: { kind: 'rwsem', irq: 'none', read: true, conditional: true },
  rwsem_read_intr: { kind: 'rwsem', irq: 'none', read: true, conditional: true },
  rwsem_write: { kind: 'rwsem', irq: 'none' },
  rwsem_write_try: { kind: 'rwsem', irq: 'none', conditional: true },
  local_lock: { kind: 'local_lock', irq: 'none' },
  local_lock_irq: { kind: 'local_lock', irq: 'irq' },
  local_lock_irqsave: { kind: 'local_lock', irq: 'irqsave' },
};

/** Initialisers: they set a lock up, they do not acquire it. */
export const LOCK_INITIALISERS: ReadonlySet<string> = new Set([
  'spin_lock_init', 'raw_spin_lock_init', 'rwlock_init', 'mutex_init', 'init_rwsem', 'sema_init',
  'local_lock_init', 'seqlock_init', '__mutex_init', '__spin_lock_init', '__raw_spin_lock_init',
  'lockdep_set_class', 'lockdep_set_class_and_name', 'lockdep_set_subclass',
]);

/** Type names of lock objects, for lock definitions in structs and globals. */
export const LOCK_TYPES: Readonly<Record<string, LockKind>> = {
  spinlock_t: 'spin', raw_spinlock_t: 'raw_spin', rwlock_t: 'rwlock', seqlock_t: 'seqlock',
  local_lock_t: 'local_lock', local_trylock_t: 'local_lock',
  'struct mutex': 'mutex', 'struct rw_semaphore': 'rwsem', 'struct semaphore': 'semaphore',
};

/** DEFINE_* macros that define a global lock. */
export const LOCK_DEFINERS: Readonly<Record<string, LockKind>> = {
  DEFINE_SPINLOCK: 'spin', DEFINE_RAW_SPINLOCK: 'raw_spin', DEFINE_RWLOCK: 'rwlock',
  DEFINE_MUTEX: 'mutex', DECLARE_RWSEM: 'rwsem', DEFINE_SEMAPHORE: 'semaphore',
  DEFINE_SEQLOCK: 'seqlock', DEFINE_STATIC_SRCU: 'rcu', DEFINE_SRCU: 'rcu',
};

/** Interrupt state changes outside lock calls. */
export const IRQ_OFF: ReadonlySet<string> = new Set(['local_irq_save', 'local_irq_disable', 'local_bh_disable', 'raw_local_irq_save', 'raw_local_irq_disable']);
export const IRQ_ON: ReadonlySet<string> = new Set(['local_irq_restore', 'local_irq_enable', 'local_bh_enable', 'raw_local_irq_restore', 'raw_local_irq_enable']);

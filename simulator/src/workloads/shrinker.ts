/**
 * shrink_slab across many memcgs (seeds/003, Qi Zheng's lockless slab
 * shrink series, v3 cover letter): the stress script creates 4000 memcgs
 * under one 4G parent, mounts a tmpfs in each (one memcg-aware shrinker per
 * super block) and runs a dd per memcg, so every CPU keeps reclaiming the
 * parent: shrink_node -> mem_cgroup_iter over the children -> shrink_slab()
 * per memcg. Each iteration here is one memcg visited by one CPU.
 *
 * baseline ("shrinker_rwsem", before the series; mm/vmscan.c
 * shrink_slab_memcg): down_read_trylock(&shrinker_rwsem) (kernel/locking/
 * rwsem.c: a read of the count then a cmpxchg, two transfers of the one line
 * every reclaiming CPU shares; a writer holding it makes the trylock fail and
 * the memcg is skipped), for_each_set_bit over the memcg's shrinker map,
 * idr_find, do_shrink_slab -> count_objects, up_read (one atomic on the line).
 *
 * ctor-dtor ("lockless", the series as merged in 6.7, mm/shrinker.c
 * shrink_slab_memcg in 6.12): rcu_read_lock, the same walk,
 * shrinker_try_get/shrinker_put (refcount on the shrinker, a line shared
 * only by CPUs visiting the same memcg), rcu_read_unlock.
 *
 * Both: mem_cgroup_iter walks the memcg tree; in the kernels the seed
 * measured (next-20230726) shrink_node_memcgs passes no reclaim cookie, so
 * every reclaimer walks all memcgs itself and shares no iterator line (6.12's
 * partial walks cmpxchg a shared iter->position; not modelled). Writers (mounts and umounts: shrinker_register/
 * shrinker_free) take the write side of shrinker_rwsem (baseline) or
 * shrinker_mutex (lockless) on `writers` of the CPUs.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { Instr, OP, ins } from '../ops';

export const SHRINKER_MODES = { baseline: 'shrinker_rwsem (down_read_trylock)', 'ctor-dtor': 'lockless (refcount + RCU)' } as const;

export const DEFAULT_MEMCGS = 4000;

export function shrinkerWorkload(memcgs = DEFAULT_MEMCGS, writers = 0): Workload {
  let reader: Instr[][] = [];
  let writer: Instr[] = [];
  return {
    name: 'shrinker',
    label: 'shrink_slab of one memcg',
    looping: true,
    setup(e: Engine): void {
      const k = e.costs;
      const P = {
        trylock: e.profBucket('down_read_trylock'),
        upread: e.profBucket('up_read'),
        walk: e.profBucket('shrink_slab'),
        idr: e.profBucket('idr_find'),
        bits: e.profBucket('_find_next_bit'),
        count: e.profBucket('do_shrink_slab'),
        iter: e.profBucket('mem_cgroup_iter'),
        rcu: e.profBucket('rcu_read_lock/unlock'),
        ref: e.profBucket('shrinker_try_get/put'),
        write: e.profBucket('shrinker register/unregister'),
      };
      const FLAG = 0;
      e.flags[FLAG] = 0;
      const rwsem = e.locks.ensure('shrinker_rwsem (count line)', 'line', 0);
      const mutex = e.locks.ensure('shrinker_mutex', 'mutex', 1);
      const line = (id: number, prof: number, label: string) => [ins(OP.LOCK, id, 0, label, { prof }), ins(OP.UNLOCK, id, 0, label, { prof })];
      const lines = Math.max(1, Math.ceil(k.shrinkerMapWords / 8));
      const body = [
        ins(OP.WORK, 2 / 3 * k.shrinkerColdLines * k.dramMissNs, 0, 'shrink_slab_memcg: shrinker_info of the memcg (cold)', { prof: P.walk }),
        ins(OP.WORK, lines * k.l2HitNs, 0, 'for_each_set_bit over the shrinker map', { prof: P.bits }),
        ins(OP.WORK, 2 * k.l2HitNs, 0, 'idr_find(&shrinker_idr)', { prof: P.idr }),
        ins(OP.WORK, 1 / 3 * k.shrinkerColdLines * k.dramMissNs, 0, 'do_shrink_slab: count_objects -> list_lru_count_one (cold)', { prof: P.count }),
      ];
      // One refcount line per memcg's shrinker: CPUs contend on it only when they visit the same memcg.
      const refs = e.baseline ? [] : Array.from({ length: Math.min(memcgs, 256) }, (_, i) => e.locks.ensure(`shrinker[${i}].refcount`, 'line', 0));
      reader = [];
      const variants = e.baseline ? 1 : refs.length;
      for (let v = 0; v < variants; v++) {
        const p: Instr[] = [ins(OP.WORK, 2 * k.l2HitNs, 0, 'mem_cgroup_iter: css_next_descendant_pre, css_tryget (percpu ref)', { prof: P.iter })];
        if (e.baseline) {
          p.push(...line(rwsem.id, P.trylock, 'down_read_trylock: read sem->count'), ...line(rwsem.id, P.trylock, 'down_read_trylock: cmpxchg sem->count'));
          p.push(ins(OP.SKIP_IF_FLAG, FLAG, body.length + 2, 'a writer holds shrinker_rwsem: trylock failed, skip this memcg', { prof: P.trylock }));
          p.push(...body, ...line(rwsem.id, P.upread, 'up_read: atomic_long_add_return_release'));
        } else {
          p.push(ins(OP.WORK, k.lockAcquireNs / 2, 0, 'rcu_read_lock', { prof: P.rcu }));
          p.push(body[0], body[1], body[2]);
          p.push(...line(refs[v].id, P.ref, 'shrinker_try_get: refcount_inc_not_zero'));
          p.push(body[3]);
          p.push(...line(refs[v].id, P.ref, 'shrinker_put: refcount_dec_and_test'));
          p.push(ins(OP.WORK, k.lockAcquireNs / 2, 0, 'rcu_read_unlock', { prof: P.rcu }));
        }
        p.push(ins(OP.ITER_END, 0, 0, 'memcg visited'));
        reader.push(p);
      }
      // A mount or umount: registering or freeing the super block's shrinker.
      writer = e.baseline
        ? [
          ins(OP.WORK, 20_000, 1, 'mount/umount work besides the shrinker'),
          ...line(rwsem.id, P.write, 'down_write(&shrinker_rwsem)'),
          ins(OP.SET_FLAG, FLAG, 1, 'shrinker_rwsem write-held'),
          ins(OP.WORK, k.shrinkerRegisterNs, 0, 'shrinker_register / shrinker_free', { prof: P.write }),
          ins(OP.SET_FLAG, FLAG, 0, 'shrinker_rwsem released'),
          ...line(rwsem.id, P.write, 'up_write(&shrinker_rwsem)'),
        ]
        : [
          ins(OP.WORK, 20_000, 1, 'mount/umount work besides the shrinker'),
          ins(OP.LOCK, mutex.id, 0, 'mutex_lock(&shrinker_mutex)', { prof: P.write }),
          ins(OP.WORK, k.shrinkerRegisterNs, 0, 'shrinker_register / shrinker_free', { prof: P.write }),
          ins(OP.UNLOCK, mutex.id, 0, 'mutex_unlock(&shrinker_mutex)', { prof: P.write }),
        ];
    },
    next(e: Engine, c: Cpu): Instr[] {
      if (c.id >= e.cpus.length - writers) return writer;
      // Each CPU walks every memcg; CPUs drift apart, so spread them over the refcount lines.
      c.program = (c.program + 1) % reader.length;
      return reader[(c.program * 97 + c.id * 31) % reader.length];
    },
  };
}

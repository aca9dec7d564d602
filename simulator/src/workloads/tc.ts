/**
 * tc filter insertion and removal: each CPU is one `tc -b` process of the
 * tc-testing concurrency tests (tools/testing/selftests/tc-testing/
 * tc-tests/filters/flower.json "Add 1M flower filters with 10 parallel tc
 * instances", tdc_batch.py lines: flower skip_hw ... action drop), adding a
 * filter and deleting it again, so action objects are freed and reused as in
 * an insertion/removal cycle.
 *
 * The path, read from the 6.12 source (net/sched/cls_api.c, act_api.c,
 * cls_flower.c): tc_new_tfilter/tc_del_tfilter are RTNL_FLAG_DOIT_UNLOCKED
 * and the ingress qdisc and flower are unlocked, so rtnl_mutex is not taken;
 * they serialise on chain->filter_chain_lock (mutex, tcf_chain_tp_find), the
 * gact action's idrinfo->lock (mutex: tcf_idr_check_alloc and
 * tcf_idr_insert_many on add, __tcf_action_put on delete) and the flower
 * tcf_proto's tp->lock (spinlock: handle idr and list in fl_change,
 * __fl_delete). tcf_idr_create allocates the tc_action and its three percpu
 * regions (cpu_bstats, cpu_bstats_hw via netdev_alloc_pcpu_stats, cpu_qstats
 * via alloc_percpu); free_tcf frees them: the cache model's ctor and dtor.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';

export function tcWorkload(prewarm = true): Workload {
  let prog: Instr[] = [];
  return {
    name: 'tc',
    label: 'tc filter add + delete',
    looping: true,
    setup(e: Engine): void {
      const k = e.costs;
      const gfp = gfpInfo('GFP_KERNEL');
      const P = {
        req: e.profBucket('rtnetlink request (private)'),
        chain: e.profBucket('chain->filter_chain_lock'),
        idr: e.profBucket('idrinfo->lock'),
        tp: e.profBucket('flower tp->lock'),
        slab: e.profBucket('tc_action slab alloc/free'),
      };
      const chain = e.locks.ensure('tcf_chain.filter_chain_lock', 'mutex', 1);
      const idr = e.locks.ensure('tcf_idrinfo.lock', 'mutex', 1);
      const tp = e.locks.ensure('tcf_proto.lock', 'spin', 1);
      const locked = (l: { id: number; name: string }, hold: number, prof: number, label: string) => [
        ins(OP.LOCK, l.id, 0, `${label}: lock ${l.name}`, { prof }),
        ins(OP.WORK, hold, 0, `${label}: under ${l.name}`, { prof }),
        ins(OP.UNLOCK, l.id, 0, `${label}: unlock ${l.name}`, { prof }),
      ];
      const req = (label: string) => ins(OP.WORK, k.tcRequestNs / 2, 1, label, { prof: P.req });
      prog = [req('tc_new_tfilter: netlink receive, parse')];
      prog.push(...locked(chain, k.tcChainLockedNs, P.chain, 'tc_new_tfilter: tcf_chain_tp_find'));
      prog.push(...locked(idr, k.tcIdrLockedNs, P.idr, 'tcf_idr_check_alloc'));
      for (const c of e.caches) prog.push(ins(OP.SLAB_ALLOC, c.id, 0, `tcf_idr_create: allocate ${c.name} (GFP_KERNEL)`, { gfp, prof: P.slab }));
      prog.push(...locked(idr, k.tcIdrLockedNs, P.idr, 'tcf_idr_insert_many'));
      prog.push(...locked(tp, k.tcFlowerLockedNs, P.tp, 'fl_change: handle idr, list add'));
      prog.push(req('tc_new_tfilter: mask, rhashtable insert, reply'));
      prog.push(req('tc_del_tfilter: netlink receive, parse'));
      prog.push(...locked(chain, k.tcChainLockedNs, P.chain, 'tc_del_tfilter: tcf_chain_tp_find'));
      prog.push(...locked(tp, k.tcFlowerLockedNs, P.tp, '__fl_delete: idr remove, list del'));
      prog.push(...locked(idr, k.tcIdrLockedNs, P.idr, '__tcf_action_put: idr_remove'));
      for (const c of e.caches) prog.push(ins(OP.SLAB_FREE, c.id, 0, `free_tcf: free ${c.name}`, { prof: P.slab }));
      prog.push(req('tc_del_tfilter: reply'));
      prog.push(ins(OP.ITER_END, 0, 0, 'filter added and deleted'));
      if (prewarm) for (const c of e.caches) for (const cpu of e.cpus) c.prewarm(cpu, Math.max(1, c.capacity >> 1));
    },
    next(_e: Engine, _c: Cpu): Instr[] {
      return prog;
    },
  };
}

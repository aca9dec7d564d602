/**
 * exec(): one process per CPU calling exec() in a loop, as in the RFC's
 * benchmark (each process re-executes the same small static binary).
 *
 * What the kernel serialises on per exec(), read from the 6.12 source, each
 * a station below with its acquisitions, hold and the lines a holder pulls
 * from the previous one:
 *   - the percpu allocator (pcpu_alloc_mutex, pcpu_lock): mm_init ->
 *     mm_alloc_cid() -> alloc_percpu() and percpu_counter_init_many() for
 *     rss_stat (kernel/fork.c), freed in __mmdrop (the cache model's ctor and
 *     dtor steps; percpu_counters_lock for the counters' list);
 *   - pgd_lock (arch/x86/mm/pgtable.c): pgd_alloc clones the kernel half of
 *     the pgd and adds it to pgd_list under it; pgd_free -> pgd_dtor deletes it;
 *   - the binary's i_mmap_rwsem (mm/vma.c): vma_link_file per PT_LOAD segment
 *     (fs/binfmt_elf.c elf_load -> vm_mmap), unlink_file_vma_batch once at
 *     exit for the file's VMAs; the hold walks the interval tree of every
 *     process's VMAs of the file;
 *   - atomics on lines every process shares: the binary's dentry lockref
 *     (open_exec path walk, fput), its inode's i_writecount
 *     (deny_write_access/allow_write_access, fs/exec.c), and per mapped page
 *     the folio's mapcount and refcount (filemap_map_pages ->
 *     folio_add_file_rmap_ptes at fault, folio_remove_rmap_ptes at unmap).
 * Everything else exec() does is private to the process: the measured exec()
 * time minus the modelled parts, spread over the path.
 *
 * baseline: the model's ctor steps run on every allocation and its dtor
 * steps on every free. ctor/dtor: objects keep their percpu memory; the hot
 * path only charges and uncharges it.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import type { CacheModel, ModelStep } from '../model';
import type { Costs } from '../costs';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';
import { isPercpuAllocator, isPercpuFree } from '../kernel-calls';

/** A shared serialisation point of the exec() path. */
export interface Station {
  name: string;
  kind: 'spin' | 'rwsem' | 'line';
  /** Acquisitions per exec(). */
  visits: number;
  /** Work under it per acquisition (ns, SMT-scaled). */
  holdNs: number;
  /** Lines pulled from the previous holder besides the lock line. */
  lines: number;
  source: string;
}

/** Depth of the binary's i_mmap interval tree: every running process maps its VMAs. */
export function immapDepth(costs: Costs, ncpus: number): number {
  return Math.ceil(Math.log2(ncpus * costs.execFileVmas + 1)) + 1;
}

/** The stations besides the percpu allocator (which the cache model's steps reach). */
export function execStations(costs: Costs, ncpus: number): Station[] {
  const depth = immapDepth(costs, ncpus);
  const vmas = Math.max(1, Math.round(costs.execFileVmas));
  const pages = Math.max(0, Math.round(costs.execFilePages));
  const st: Station[] = [
    { name: 'pgd_lock', kind: 'spin', visits: 2, holdNs: costs.pgdCloneNs / 2, lines: costs.pgdListLines, source: 'arch/x86/mm/pgtable.c pgd_alloc (pgd_ctor: clone + pgd_list_add) and pgd_dtor (pgd_list_del)' },
    // vma_link_file per segment, one batched unlink_file_vma_batch at exit removing all of them.
    { name: 'binary i_mmap_rwsem', kind: 'rwsem', visits: vmas + 1, holdNs: (2 * vmas * depth * costs.l2HitNs) / (vmas + 1), lines: costs.immapLines, source: 'mm/vma.c vma_link_file, unlink_file_vma_batch_process (i_mmap_lock_write)' },
    { name: 'binary dentry d_lockref', kind: 'line', visits: 2, holdNs: 0, lines: 0, source: 'fs/namei.c path walk lockref_get_not_dead, fs/dcache.c dput lockref_put_return' },
    { name: 'binary inode i_writecount', kind: 'line', visits: 2, holdNs: 0, lines: 0, source: 'fs/exec.c do_open_execat deny_write_access, allow_write_access' },
  ];
  for (let p = 0; p < pages; p++) {
    st.push({ name: `binary folio ${p}`, kind: 'line', visits: 4, holdNs: 0, lines: 0, source: 'mm/filemap.c filemap_map_pages -> folio_add_file_rmap_ptes + folio_ref_add; mm/memory.c zap -> folio_remove_rmap_ptes + put' });
  }
  return st;
}

/** Uncontended cost of a ctor/dtor step list on one CPU of the measuring VM (no transfers). */
export function stepsCostNs(steps: ModelStep[], costs: Costs): number {
  let ns = 0;
  for (const s of steps) {
    if (s.kind === 'lock') ns += costs.lockAcquireNs;
    else if (s.kind === 'work') ns += s.ns;
    else if (s.kind === 'call') ns += costs.callNs;
    else if (s.kind === 'alloc') ns += s.percpu || isPercpuAllocator(s.allocator) ? costs.pcpuAllocPathNs : costs.slubFastPathNs / 2;
    else if (s.kind === 'free') ns += s.percpu || isPercpuFree(s.allocator) ? costs.pcpuFreePathNs : costs.slubFastPathNs / 2;
  }
  return ns;
}

/**
 * exec() time outside everything modelled: the measured exec() (mainline,
 * i.e. baseline, one CPU, no transfers) minus the modelled parts' cost there.
 */
export function execPrivateNs(costs: Costs, models: CacheModel[]): number {
  let modelled = 0;
  for (const st of execStations(costs, 1)) {
    modelled += st.visits * ((st.kind === 'line' ? costs.atomicNs : costs.lockAcquireNs) + st.holdNs);
  }
  for (const m of models) {
    modelled += costs.slubFastPathNs;
    modelled += stepsCostNs(m.ctor?.steps ?? [], costs) + stepsCostNs(m.dtor?.steps ?? [], costs);
  }
  return Math.max(0, costs.execKernelNs - modelled);
}

export function execWorkload(prewarm = true): Workload {
  let prog: Instr[] = [];
  return {
    name: 'exec',
    label: 'exec() iteration',
    looping: true,
    setup(e: Engine): void {
      const k = e.costs;
      const gfp = gfpInfo('GFP_KERNEL');
      const priv = execPrivateNs(k, e.caches.map((c) => c.model));
      const P = {
        exec: e.profBucket('exec() path (private)'),
        pgd: e.profBucket('pgd_lock'),
        immap: e.profBucket('binary i_mmap_rwsem'),
        lines: e.profBucket('shared-line atomics (dentry, inode, folios)'),
        slab: e.profBucket('mm_struct slab alloc/free'),
      };
      const stations = execStations(k, e.cpus.length);
      const lock = (st: Station) => e.locks.ensure(st.name, st.kind, st.lines);
      const byName = new Map(stations.map((s) => [s.name, s]));
      const pgd = byName.get('pgd_lock')!;
      const im = byName.get('binary i_mmap_rwsem')!;
      const pgdL = lock(pgd);
      const imL = lock(im);
      const dent = lock(byName.get('binary dentry d_lockref')!);
      const ino = lock(byName.get('binary inode i_writecount')!);
      const folios = stations.filter((s) => s.name.startsWith('binary folio')).map(lock);
      const vmas = Math.max(1, Math.round(k.execFileVmas));
      const work = (share: number, label: string) => ins(OP.WORK, priv * share, 1, label, { prof: P.exec });
      const line = (l: { id: number; name: string }, label: string) => [
        ins(OP.LOCK, l.id, 0, `${label}: atomic on ${l.name}`, { prof: P.lines }),
        ins(OP.UNLOCK, l.id, 0, label, { prof: P.lines }),
      ];
      const locked = (l: { id: number; name: string }, hold: number, prof: number, label: string) => [
        ins(OP.LOCK, l.id, 0, `${label}: lock ${l.name}`, { prof }),
        ins(OP.WORK, hold, 0, `${label}: under ${l.name}`, { prof }),
        ins(OP.UNLOCK, l.id, 0, `${label}: unlock ${l.name}`, { prof }),
      ];
      const depthHold = immapDepth(k, e.cpus.length) * k.l2HitNs;
      prog = [work(0.25, 'exec: syscall entry, copy strings, bprm setup')];
      prog.push(...line(dent, 'open_exec: path walk'), ...line(ino, 'open_exec: deny_write_access'));
      for (const c of e.caches) prog.push(ins(OP.SLAB_ALLOC, c.id, 0, `mm_alloc: kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp, prof: P.slab }));
      prog.push(...locked(pgdL, k.pgdCloneNs, P.pgd, 'mm_init: pgd_alloc'));
      prog.push(work(0.25, 'exec: read ELF headers, flush the old exec, activate the new mm'));
      for (let v = 0; v < vmas; v++) {
        prog.push(...locked(imL, depthHold, P.immap, `elf_load segment ${v}: vma_link_file`), work(0.05, `elf_load segment ${v}: mmap_region`));
      }
      for (const f of folios) prog.push(...line(f, 'fault: folio_add_file_rmap_ptes'), ...line(f, 'fault: folio_ref_add'));
      prog.push(work(0.25, 'exec: start the new image, its run, exit'));
      // The previous image's mm goes away (exit_mmap, __mmdrop).
      for (const f of folios) prog.push(...line(f, 'exit_mmap: folio_remove_rmap_ptes'), ...line(f, 'exit_mmap: folio put'));
      prog.push(...locked(imL, depthHold * vmas, P.immap, 'free_pgtables: unlink_file_vma_batch'));
      prog.push(...locked(pgdL, 0, P.pgd, '__mmdrop: pgd_free'));
      for (const c of e.caches) prog.push(ins(OP.SLAB_FREE, c.id, 1, `__mmdrop: kmem_cache_free(${c.name}) of the old mm`, { prof: P.slab }));
      prog.push(...line(dent, 'fput: dput'), ...line(ino, 'allow_write_access'));
      const rest = 1 - 0.25 * 3 - 0.05 * vmas;
      if (rest > 0) prog.push(work(rest, 'exec: the rest'));
      prog.push(ins(OP.ITER_END, 0, 0, 'exec() done'));
      void im; void pgd;
      if (prewarm) for (const c of e.caches) for (const cpu of e.cpus) c.prewarm(cpu, Math.max(1, c.capacity >> 1));
    },
    next(_e: Engine, _c: Cpu): Instr[] {
      return prog;
    },
  };
}

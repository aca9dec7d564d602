/** Generated kernel-style C for the language-server benchmarks (deterministic). */

/** A C file of about `lines` lines: a cache with a ctor/dtor pair, a registry lock, many helpers. */
export function generateKernelFile(lines: number, prefix = 'bench'): string {
  const out: string[] = [
    `/* ${prefix}: generated kernel-style code for the slabcheck LSP benchmark. */`,
    '#include <linux/slab.h>',
    '#include <linux/spinlock.h>',
    '#include <linux/mutex.h>',
    '#include <linux/percpu.h>',
    '#include <linux/list.h>',
    '',
    `struct ${prefix}_stats {`,
    '\tu64 hits;',
    '\tu64 misses;',
    '};',
    '',
    `struct ${prefix}_obj {`,
    '\tstruct list_head node;',
    `\tstruct ${prefix}_stats __percpu *stats;`,
    '\tspinlock_t lock;',
    '\tunsigned long flags;',
    '\tvoid *buf;',
    '};',
    '',
    `struct ${prefix}_registry {`,
    '\tspinlock_t lock;',
    '\tstruct list_head objs;',
    '\tunsigned int count;',
    '};',
    '',
    `static struct ${prefix}_registry ${prefix}_reg;`,
    `static DEFINE_MUTEX(${prefix}_table_mutex);`,
    `static DEFINE_SPINLOCK(${prefix}_stats_lock);`,
    `static struct kmem_cache *${prefix}_cachep;`,
    '',
    `static int ${prefix}_ctor(void *obj)`,
    '{',
    `\tstruct ${prefix}_obj *o = obj;`,
    '',
    `\to->stats = alloc_percpu(struct ${prefix}_stats);`,
    '\tif (!o->stats)',
    '\t\treturn -ENOMEM;',
    '\tspin_lock_init(&o->lock);',
    '\tINIT_LIST_HEAD(&o->node);',
    '\treturn 0;',
    '}',
    '',
    `static void ${prefix}_unlink(struct ${prefix}_obj *o)`,
    '{',
    `\tstruct ${prefix}_registry *reg = &${prefix}_reg;`,
    '',
    '\tspin_lock(&reg->lock);',
    '\tlist_del_init(&o->node);',
    '\treg->count--;',
    '\tspin_unlock(&reg->lock);',
    '}',
    '',
    `static void ${prefix}_dtor(void *obj)`,
    '{',
    `\tstruct ${prefix}_obj *o = obj;`,
    '',
    '\t/* bench edit marker */',
    `\t${prefix}_unlink(o);`,
    '\tfree_percpu(o->stats);',
    '}',
    '',
  ];
  let i = 0;
  while (out.length < lines - 20) {
    const n = i++;
    switch (n % 4) {
      case 0:
        out.push(
          `static void ${prefix}_add_${n}(struct ${prefix}_obj *o)`, '{',
          `\tstruct ${prefix}_registry *reg = &${prefix}_reg;`, '',
          '\tspin_lock(&reg->lock);',
          '\tlist_add(&o->node, &reg->objs);',
          '\treg->count++;',
          `\tspin_lock(&${prefix}_stats_lock);`,
          `\tthis_cpu_inc(o->stats->hits);`,
          `\tspin_unlock(&${prefix}_stats_lock);`,
          '\tspin_unlock(&reg->lock);', '}', '');
        break;
      case 1:
        out.push(
          `static int ${prefix}_resize_${n}(struct ${prefix}_obj *o, size_t len)`, '{',
          '\tvoid *nbuf;', '',
          `\tmutex_lock(&${prefix}_table_mutex);`,
          '\tnbuf = kmalloc(len, GFP_KERNEL);',
          '\tif (!nbuf) {',
          `\t\tmutex_unlock(&${prefix}_table_mutex);`,
          '\t\treturn -ENOMEM;', '\t}',
          '\tkfree(o->buf);',
          '\to->buf = nbuf;',
          `\tmutex_unlock(&${prefix}_table_mutex);`,
          '\treturn 0;', '}', '');
        break;
      case 2:
        out.push(
          `static unsigned long ${prefix}_sum_${n}(struct ${prefix}_obj *o)`, '{',
          '\tunsigned long flags, sum = 0;',
          '\tint cpu;', '',
          '\tspin_lock_irqsave(&o->lock, flags);',
          '\tfor_each_possible_cpu(cpu)',
          '\t\tsum += per_cpu_ptr(o->stats, cpu)->hits;',
          '\tspin_unlock_irqrestore(&o->lock, flags);',
          '\treturn sum;', '}', '');
        break;
      default:
        out.push(
          `struct ${prefix}_obj *${prefix}_get_${n}(gfp_t gfp)`, '{',
          `\tstruct ${prefix}_obj *o = kmem_cache_alloc(${prefix}_cachep, gfp);`, '',
          '\tif (!o)', '\t\treturn NULL;',
          `\t${prefix}_add_${n - 3}(o);`,
          '\treturn o;', '}', '');
    }
  }
  out.push(
    `static int __init ${prefix}_init(void)`, '{',
    '\tstruct kmem_cache_args args = {',
    `\t\t.ctor = ${prefix}_ctor,`,
    `\t\t.dtor = ${prefix}_dtor,`,
    '\t};', '',
    `\tspin_lock_init(&${prefix}_reg.lock);`,
    `\t${prefix}_cachep = kmem_cache_create("${prefix}_obj", sizeof(struct ${prefix}_obj), &args, SLAB_HWCACHE_ALIGN);`,
    `\treturn ${prefix}_cachep ? 0 : -ENOMEM;`, '}', '');
  return out.join('\n');
}

/**
 * An estimate of `sizeof(struct X)` from the struct definitions the workspace
 * holds: fields summed with x86-64 sizes and natural alignment, a configuration
 * with no debug options (spinlock_t is 4 bytes). What it cannot know is said:
 * arrays count one element (the facts keep no dimensions), a field of a type
 * it knows nothing about counts 8 bytes, every `#ifdef` branch is counted.
 * The simulator marks such a size "estimated", never "evaluated".
 */

/** [size, align] of scalar types and of kernel types whose definition is rarely in a workspace (x86-64, no debug options). */
const KNOWN: Record<string, [number, number]> = {
  char: [1, 1], 'signed char': [1, 1], 'unsigned char': [1, 1], bool: [1, 1], _Bool: [1, 1], u8: [1, 1], s8: [1, 1], __u8: [1, 1], __s8: [1, 1],
  short: [2, 2], 'unsigned short': [2, 2], u16: [2, 2], s16: [2, 2], __u16: [2, 2], __s16: [2, 2], __le16: [2, 2], __be16: [2, 2], umode_t: [2, 2],
  int: [4, 4], unsigned: [4, 4], 'unsigned int': [4, 4], 'signed int': [4, 4], u32: [4, 4], s32: [4, 4], __u32: [4, 4], __s32: [4, 4], __le32: [4, 4], __be32: [4, 4],
  float: [4, 4], pid_t: [4, 4], uid_t: [4, 4], gid_t: [4, 4], kuid_t: [4, 4], kgid_t: [4, 4], gfp_t: [4, 4], fmode_t: [4, 4], dev_t: [4, 4], slab_flags_t: [4, 4],
  atomic_t: [4, 4], refcount_t: [4, 4], 'struct kref': [4, 4], spinlock_t: [4, 4], raw_spinlock_t: [4, 4], arch_spinlock_t: [4, 4], 'struct qspinlock': [4, 4],
  rwlock_t: [8, 4], seqcount_t: [4, 4], seqcount_spinlock_t: [4, 4], seqlock_t: [8, 4],
  long: [8, 8], 'unsigned long': [8, 8], 'long int': [8, 8], 'long long': [8, 8], 'unsigned long long': [8, 8], u64: [8, 8], s64: [8, 8], __u64: [8, 8], __s64: [8, 8],
  __le64: [8, 8], __be64: [8, 8], size_t: [8, 8], ssize_t: [8, 8], loff_t: [8, 8], off_t: [8, 8], double: [8, 8], atomic_long_t: [8, 8], atomic64_t: [8, 8],
  local_t: [8, 8], ktime_t: [8, 8], time64_t: [8, 8], sector_t: [8, 8], phys_addr_t: [8, 8], dma_addr_t: [8, 8], pgoff_t: [8, 8], cpumask_var_t: [8, 8],
  'struct list_head': [16, 8], 'struct hlist_node': [16, 8], 'struct hlist_head': [8, 8], 'struct llist_node': [8, 8], 'struct llist_head': [8, 8],
  'struct rcu_head': [16, 8], 'struct callback_head': [16, 8], 'struct rb_node': [24, 8], 'struct rb_root': [8, 8], 'struct rb_root_cached': [16, 8],
  'struct mutex': [32, 8], 'struct rw_semaphore': [40, 8], 'struct semaphore': [24, 8], wait_queue_head_t: [24, 8], 'struct wait_queue_head': [24, 8],
  'struct completion': [32, 8], 'struct work_struct': [32, 8], 'struct delayed_work': [88, 8], 'struct timer_list': [40, 8], 'struct percpu_ref': [16, 8],
  'struct percpu_counter': [40, 8], 'struct xarray': [16, 8], 'struct idr': [24, 8], 'struct list_lru': [32, 8], 'struct lockref': [8, 8],
};

export interface SizeEstimate {
  bytes: number;
  /** Fields whose type was not known (counted 8 bytes) and arrays (one element each), for the note. */
  unknown: string[];
}

/** Field type text ("struct foo", "spinlock_t", "struct foo *") to [size, align]; nested structs through `fields`. */
export function estimateStruct(
  name: string,
  fields: (type: string) => Record<string, string> | undefined,
  depth = 0,
  seen: Set<string> = new Set(),
): SizeEstimate | undefined {
  const def = fields(name);
  if (!def || seen.has(name) || depth > 6) return undefined;
  seen.add(name);
  const unknown: string[] = [];
  let off = 0;
  let maxAlign = 1;
  for (const [field, typeText] of Object.entries(def)) {
    const t = typeText.replace(/\b(const|volatile|__rcu|__percpu|__iomem|__user|__aligned\([^)]*\)|____cacheline_aligned(_in_smp)?)\b/g, ' ').replace(/\s+/g, ' ').trim();
    let size: number;
    let align: number;
    if (t.endsWith('*')) [size, align] = [8, 8];
    else if (KNOWN[t]) [size, align] = KNOWN[t];
    else {
      const m = /^(?:struct|union) (\w+)$/.exec(t);
      const inner = m && m[1] !== '<anon>' ? estimateStruct(m[1], fields, depth + 1, seen) : undefined;
      if (inner) {
        size = inner.bytes;
        align = Math.min(8, inner.bytes >= 8 ? 8 : 4);
        unknown.push(...inner.unknown.map((u) => `${field}.${u}`));
      } else {
        [size, align] = [8, 8];
        unknown.push(`${field} (${t})`);
      }
    }
    off = Math.ceil(off / align) * align + size;
    maxAlign = Math.max(maxAlign, align);
  }
  seen.delete(name);
  return { bytes: Math.max(1, Math.ceil(off / maxAlign) * maxAlign), unknown };
}

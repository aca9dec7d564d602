/**
 * The NMI, tracing and hardirq families (issue 15; seeds/001 is the kmalloc_nolock() review): every
 * rule's valid and invalid cases, run whole-workspace and demand-driven (registerRuleTests), plus
 * the registry's reading of each registration form, the strictest-context rule, the code action
 * and the BPF_CALL_n definitions. The C here is written for the tests, modelled on kernel patterns.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { brief, fileTests, registerRuleTests, RuleCase, tempWorkspace } from '../helpers';
import { Engine } from '../../server/src/engine/engine';
import { findAtomicRegistrations } from '../../server/src/contexts/registrations';
import { rewriteBpfCalls } from '../../server/src/parse/attributes';
import { extractFacts } from '../../server/src/facts/extract';

const test = fileTests(module);

/** What the tests' headers declare (written here: the x86 macro's shape, not its text). */
export const NMI_H = `struct pt_regs;
struct perf_event;
#define NMI_LOCAL 0
#define NMI_UNKNOWN 1
#define NMI_DONE 0
#define NMI_HANDLED 1
#define NUMA_NO_NODE (-1)
#define IRQ_HANDLED 1
#define IRQ_WAKE_THREAD 2
typedef int irqreturn_t;
struct kprobe { int (*pre_handler)(struct kprobe *, struct pt_regs *); void (*post_handler)(struct kprobe *, struct pt_regs *, unsigned long); };
struct ftrace_ops { void (*func)(unsigned long ip, unsigned long parent, struct ftrace_ops *op, void *regs); unsigned long flags; };
`;

/** An NMI handler in pmu.c reaching an allocation two calls deep in record.c. */
const PMU_C = `#include "nmi.h"
void pmu_record(struct pt_regs *regs);

static int pmu_nmi_handler(unsigned int cmd, struct pt_regs *regs)
{
	pmu_record(regs);
	return NMI_HANDLED;
}

static int __init pmu_init(void)
{
	return register_nmi_handler(NMI_LOCAL, pmu_nmi_handler, 0, "pmu");
}
`;
const RECORD_C = (body: string) => `#include "nmi.h"
struct sample { int v; };
static void pmu_stash(struct pt_regs *regs)
{
${body}
}

void pmu_record(struct pt_regs *regs)
{
	pmu_stash(regs);
}
`;
const STASH_KMALLOC = `	struct sample *s = kmalloc(sizeof(*s), GFP_ATOMIC);

	if (!s)
		return;
	s->v = 1;
	kfree(s);`;

/** The clean NMI path: kmalloc_nolock() checked, kfree_nolock(), a raw trylock. */
const CLEAN_C = `#include "nmi.h"
struct sample { int v; };
static DEFINE_RAW_SPINLOCK(clean_lock);

static int clean_nmi(unsigned int cmd, struct pt_regs *regs)
{
	struct sample *s;

	if (!raw_spin_trylock(&clean_lock))
		return NMI_DONE;
	s = kmalloc_nolock(sizeof(*s), __GFP_ZERO, NUMA_NO_NODE);
	if (s) {
		s->v = 1;
		kfree_nolock(s);
	}
	raw_spin_unlock(&clean_lock);
	return NMI_HANDLED;
}

static int __init clean_init(void)
{
	return register_nmi_handler(NMI_UNKNOWN, clean_nmi, 0, "clean");
}
`;

/** A device with a primary handler `body` and a threaded handler that may sleep. */
const DEV_C = (primary: string, register = 'request_threaded_irq(irq, dev_quick, dev_thread, 0, "dev", d)', extra = '') => `#include "nmi.h"
struct dev { struct mutex lock; spinlock_t slock; void *buf; int n; };
${extra}
static irqreturn_t dev_quick(int irq, void *data)
{
	struct dev *d = data;
${primary}
	return IRQ_WAKE_THREAD;
}

static irqreturn_t dev_thread(int irq, void *data)
{
	struct dev *d = data;

	mutex_lock(&d->lock);
	d->buf = kzalloc(64, GFP_KERNEL);
	msleep(1);
	mutex_unlock(&d->lock);
	return IRQ_HANDLED;
}

int dev_probe(struct dev *d, int irq)
{
	return ${register};
}
`;

/** One helper reached from an NMI handler and from a hardirq handler: reported once, as NMI. */
const SHARED = {
  'nmi.h': NMI_H,
  'shared.c': `#include "nmi.h"
void *shared_buf;
void shared_fill(void)
{
	shared_buf = kmalloc(128, GFP_KERNEL);
}
`,
  'both.c': `#include "nmi.h"
void shared_fill(void);
static irqreturn_t both_irq(int irq, void *data)
{
	shared_fill();
	return IRQ_HANDLED;
}
static int both_nmi(unsigned int cmd, struct pt_regs *regs)
{
	shared_fill();
	return NMI_HANDLED;
}
int both_init(void)
{
	request_irq(3, both_irq, 0, "both", 0);
	return register_nmi_handler(NMI_LOCAL, both_nmi, 0, "both");
}
`,
};

export const cases: Record<string, RuleCase[]> = {
  'nmi-allocator-call': [
    {
      name: 'an NMI handler reaches kmalloc(GFP_ATOMIC) and kfree() two calls deep in another file',
      files: { 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': RECORD_C(STASH_KMALLOC) },
      expect: ['nmi-allocator-call@pmu.c:6', 'nmi-allocator-call@pmu.c:6'],
    },
    {
      name: 'a perf overflow handler allocates from a cache',
      files: {
        'nmi.h': NMI_H,
        'wd.c': `#include "nmi.h"
struct kmem_cache *wd_cache;
static void wd_overflow(struct perf_event *event, void *data, struct pt_regs *regs)
{
	void *p = kmem_cache_alloc(wd_cache, GFP_ATOMIC);

	if (p)
		kmem_cache_free(wd_cache, p);
}
int wd_enable(int cpu, void *attr)
{
	struct perf_event *e = perf_event_create_kernel_counter(attr, cpu, NULL, wd_overflow, NULL);

	return e != NULL;
}
`,
      },
      expect: ['nmi-allocator-call@wd.c:5', 'nmi-allocator-call@wd.c:8'],
    },
    {
      name: 'tracing: a kprobe pre_handler, an ftrace callback and a tracepoint probe allocate (warnings)',
      files: {
        'nmi.h': NMI_H,
        'probe.c': `#include "nmi.h"
static int kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	void *x = kzalloc(32, GFP_ATOMIC);

	kfree(x);
	return 0;
}
static struct kprobe kp = {
	.pre_handler = kp_pre,
};
static void ft_func(unsigned long ip, unsigned long parent, struct ftrace_ops *op, void *regs)
{
	void *y = kmalloc(16, GFP_NOWAIT);

	kfree(y);
}
static struct ftrace_ops ft_ops = {
	.func = ft_func,
};
static void tp_probe(void *data, int prev, int next)
{
	void *z = vmalloc(4096);

	vfree(z);
}
int probes_init(void)
{
	register_kprobe(&kp);
	register_ftrace_function(&ft_ops);
	return register_trace_sched_switch(tp_probe, NULL);
}
`,
      },
      expect: ['nmi-allocator-call@probe.c:14', 'nmi-allocator-call@probe.c:16', 'nmi-allocator-call@probe.c:23', 'nmi-allocator-call@probe.c:25', 'nmi-allocator-call@probe.c:4', 'nmi-allocator-call@probe.c:6'],
    },
    {
      name: 'valid: the NMI path uses kmalloc_nolock()/kfree_nolock() and a raw trylock',
      files: { 'nmi.h': NMI_H, 'clean.c': CLEAN_C },
      expect: [],
    },
    {
      name: 'a helper reached from an NMI and a hardirq handler is reported once, in NMI',
      files: SHARED,
      expect: ['nmi-allocator-call@both.c:10'],
    },
  ],
  'nmi-waiting-lock': [
    {
      name: 'an NMI handler takes a spinlock with irqsave, and a raw spinlock in a helper in another file',
      files: {
        'nmi.h': NMI_H,
        'bt.c': `#include "nmi.h"
static DEFINE_SPINLOCK(bt_lock);
void bt_dump(void);
static int bt_nmi(unsigned int cmd, struct pt_regs *regs)
{
	unsigned long flags;

	spin_lock_irqsave(&bt_lock, flags);
	spin_unlock_irqrestore(&bt_lock, flags);
	bt_dump();
	return NMI_HANDLED;
}
int bt_init(void)
{
	return register_nmi_handler(NMI_LOCAL, bt_nmi, 0, "bt");
}
`,
        'dump.c': `#include "nmi.h"
static DEFINE_RAW_SPINLOCK(dump_lock);
void bt_dump(void)
{
	raw_spin_lock(&dump_lock);
	raw_spin_unlock(&dump_lock);
}
`,
      },
      expect: ['nmi-waiting-lock@bt.c:10', 'nmi-waiting-lock@bt.c:8'],
    },
    {
      name: 'a BPF helper takes a mutex (tracing: warning)',
      files: {
        'nmi.h': NMI_H,
        'helpers.c': `#include "nmi.h"
static DEFINE_MUTEX(h_mutex);
BPF_CALL_2(bpf_thing_update, void *, map, unsigned long, key)
{
	mutex_lock(&h_mutex);
	mutex_unlock(&h_mutex);
	return 0;
}
`,
      },
      expect: ['nmi-waiting-lock@helpers.c:5'],
    },
    {
      name: 'valid: a static lock local to the NMI handler (NMIs do not nest: only another CPU can hold it)',
      files: {
        'nmi.h': NMI_H,
        'gh.c': `#include "nmi.h"
static int gh_nmi(unsigned int cmd, struct pt_regs *regs)
{
	static DEFINE_RAW_SPINLOCK(gh_lock_nmi);

	raw_spin_lock(&gh_lock_nmi);
	raw_spin_unlock(&gh_lock_nmi);
	return NMI_HANDLED;
}
int gh_init(void)
{
	return register_nmi_handler(NMI_LOCAL, gh_nmi, 0, "gh");
}
`,
      },
      expect: [],
    },
    {
      name: 'valid: raw_spin_trylock() and bail out',
      files: { 'nmi.h': NMI_H, 'clean.c': CLEAN_C },
      expect: [],
    },
  ],
  'nmi-nolock-unchecked': [
    {
      name: 'the result of kmalloc_nolock() is dereferenced without a check',
      files: {
        'nmi.h': NMI_H,
        'ring.c': `#include "nmi.h"
struct ev { int id; };
BPF_CALL_1(bpf_ring_push, int, id)
{
	struct ev *e = kmalloc_nolock(sizeof(*e), 0, NUMA_NO_NODE);

	e->id = id;
	kfree_nolock(e);
	return 0;
}
`,
      },
      expect: ['nmi-nolock-unchecked@ring.c:5'],
    },
    {
      name: 'valid: checked, and returned by a wrapper whose caller checks it',
      files: {
        'nmi.h': NMI_H,
        'ring.c': `#include "nmi.h"
struct ev { int id; };
static struct ev *ev_new(void)
{
	return kmalloc_nolock(sizeof(struct ev), __GFP_ZERO, NUMA_NO_NODE);
}
BPF_CALL_1(bpf_ring_push, int, id)
{
	struct ev *e = ev_new();
	struct ev *f = kmalloc_nolock(sizeof(*f), 0, NUMA_NO_NODE);

	if (!e)
		return -12;
	e->id = id;
	kfree_nolock(e);
	if (f == NULL)
		return -12;
	kfree_nolock(f);
	return 0;
}
`,
      },
      expect: [],
    },
  ],
  'nmi-kfree-nolock-mismatch': [
    {
      name: 'kfree_nolock() of kmalloc() and vmalloc() memory',
      files: {
        'nmi.h': NMI_H,
        'mix.c': `#include "nmi.h"
void mix(int n)
{
	void *a = kmalloc(n, GFP_KERNEL);
	void *b;

	b = vmalloc(n);
	kfree_nolock(a);
	kfree_nolock(b);
}
`,
      },
      expect: ['nmi-kfree-nolock-mismatch@mix.c:8', 'nmi-kfree-nolock-mismatch@mix.c:9'],
    },
    {
      name: 'valid: kfree_nolock() of kmalloc_nolock() memory, kfree() of kmalloc() memory',
      files: {
        'nmi.h': NMI_H,
        'mix.c': `#include "nmi.h"
void mix(int n)
{
	void *a = kmalloc_nolock(n, 0, NUMA_NO_NODE);
	void *b = kmalloc(n, GFP_KERNEL);

	if (a)
		kfree_nolock(a);
	kfree(b);
}
`,
      },
      expect: [],
    },
  ],
  'irq-sleeping-lock': [
    {
      name: 'a primary handler takes a mutex, and a rwsem through a helper (devm_request_irq)',
      files: {
        'nmi.h': NMI_H,
        'dev.c': DEV_C('\tmutex_lock(&d->lock);\n\td->n++;\n\tmutex_unlock(&d->lock);\n\tdev_stats(d);', 'devm_request_irq(NULL, irq, dev_quick, 0, "dev", d)', 'static DECLARE_RWSEM(stats_sem);\nstatic void dev_stats(struct dev *d)\n{\n\tdown_read(&stats_sem);\n\tup_read(&stats_sem);\n}'),
      },
      expect: ['irq-sleeping-lock@dev.c:12', 'irq-sleeping-lock@dev.c:15'],
    },
    {
      name: 'valid: the primary handler takes a spinlock; the thread takes the mutex and allocates',
      files: { 'nmi.h': NMI_H, 'dev.c': DEV_C('\tspin_lock(&d->slock);\n\td->n++;\n\tspin_unlock(&d->slock);') },
      expect: [],
    },
  ],
  'irq-reclaim-alloc': [
    {
      name: 'a primary handler allocates with GFP_KERNEL (devm_request_threaded_irq)',
      files: { 'nmi.h': NMI_H, 'dev.c': DEV_C('\td->buf = kzalloc(64, GFP_KERNEL);', 'devm_request_threaded_irq(NULL, irq, dev_quick, dev_thread, 0, "dev", d)') },
      expect: ['irq-reclaim-alloc@dev.c:7'],
    },
    {
      name: 'valid: GFP_ATOMIC in the primary handler',
      files: { 'nmi.h': NMI_H, 'dev.c': DEV_C('\td->buf = kzalloc(64, GFP_ATOMIC);') },
      expect: [],
    },
    {
      name: 'valid: the helper the hardirq handler shares with an NMI handler is the NMI rule\'s',
      files: SHARED,
      expect: [],
    },
  ],
  'irq-may-sleep': [
    {
      name: 'a primary handler and an NMI handler call msleep()',
      files: {
        'nmi.h': NMI_H,
        'dev.c': DEV_C('\tmsleep(10);', 'request_irq(irq, dev_quick, 0, "dev", d)', `static int dev_nmi(unsigned int cmd, struct pt_regs *regs)
{
	msleep(1);
	return NMI_HANDLED;
}
int dev_nmi_init(void)
{
	return register_nmi_handler(NMI_LOCAL, dev_nmi, 0, "devnmi");
}`),
      },
      expect: ['irq-may-sleep@dev.c:15', 'irq-may-sleep@dev.c:5'],
    },
    {
      name: 'valid: mdelay() in the primary handler; the thread sleeps',
      files: { 'nmi.h': NMI_H, 'dev.c': DEV_C('\tmdelay(1);') },
      expect: [],
    },
  ],
  'nmi-unresolved-entry': [
    {
      name: 'an NMI handler with no definition in the workspace',
      files: { 'nmi.h': NMI_H, 'x.c': '#include "nmi.h"\nint x_init(void)\n{\n\treturn register_nmi_handler(NMI_LOCAL, x_handler_elsewhere, 0, "x");\n}\n' },
      expect: ['nmi-unresolved-entry@x.c:4'],
    },
    {
      name: 'valid: request_threaded_irq() with a NULL primary handler (the core\'s default)',
      files: { 'nmi.h': NMI_H, 'dev.c': DEV_C('', 'request_threaded_irq(irq, NULL, dev_thread, 0, "dev", d)') },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);

async function open(files: Record<string, string>, fullThreshold?: number): Promise<{ engine: Engine; dir: string }> {
  const dir = tempWorkspace(files);
  return { engine: new Engine({ roots: [dir], semantics: 'mainline', jobs: 1, fullThreshold }), dir };
}

test('registrations: each form, its argument position, declarations and wrappers skipped', () => {
  const src = `int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags, const char *name, void *dev);
static inline int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler, unsigned long f, const char *n, void *id)
{
	return devm_request_threaded_irq(dev, irq, handler, NULL, f, n, id);
}
static struct kprobe kp = { .symbol_name = "x", .pre_handler = (kprobe_pre_handler_t)&my_pre, .post_handler = NULL };
static struct ftrace_ops ops = { .func = my_func };
static struct other_ops o = { .func = not_ftrace };
void f(struct ftrace_ops *fops, struct kprobe *k)
{
	register_nmi_handler(NMI_LOCAL, (my_nmi), NMI_FLAG_FIRST, "n");
	perf_event_create_kernel_counter(attr, cpu, NULL, my_overflow, NULL);
	register_trace_sched_switch(my_probe, NULL);
	fops->func = my_func2;
	k->post_handler = my_post;
	request_threaded_irq(irq, NULL, my_thread, 0, "t", d);
	x.request_irq(1);
}
BPF_CALL_3(bpf_my_helper, void *, a, u64, b, u64, c)
{
	return 0;
}
`;
  const got = findAtomicRegistrations(src).map((r) => `${r.pattern.context}:${r.api}:${r.fn ?? r.expr}@${r.at[0] + 1}`);
  assert.deepEqual(got, [
    'hardirq:devm_request_threaded_irq:handler@4',
    'tracing:pre_handler:my_pre@6', 'tracing:post_handler:NULL@6',
    'tracing:func:my_func@7',
    'nmi:register_nmi_handler:my_nmi@11', 'nmi:perf_event_create_kernel_counter:my_overflow@12', 'tracing:register_trace_sched_switch:my_probe@13',
    'tracing:func:my_func2@14', 'tracing:post_handler:my_post@15', 'hardirq:request_threaded_irq:NULL@16',
    'tracing:BPF_CALL_3:bpf_my_helper@19',
  ]);
});

test('BPF_CALL_n defines the function it names, offsets kept', () => {
  const src = 'BPF_CALL_2(bpf_a, struct bpf_map *, map,\n\t   void *, key)\n{\n\tspin_lock(&l);\n\tspin_unlock(&l);\n\treturn 0;\n}\nBPF_CALL_0(bpf_b)\n{\n\treturn 1;\n}\n';
  const out = rewriteBpfCalls(src);
  assert.equal(out.length, src.length);
  assert.deepEqual(out.split('\n').map((l) => l.length), src.split('\n').map((l) => l.length));
  assert.equal(out.indexOf('bpf_a'), src.indexOf('bpf_a'));
  const facts = extractFacts('/x/h.c', src);
  assert.deepEqual(facts.functions.map((f) => [f.name, f.params.map((p) => p.name), f.at[0]]), [['bpf_a', ['map', 'key'], 0], ['bpf_b', [], 7]]);
  assert.deepEqual(facts.functions[0].events.map((e) => `${e.k}:${e.fn}@${e.at[0]}`), ['lock:spin_lock@3', 'unlock:spin_unlock@4']);
});

test('contexts: NMI, tracing and hardirq entry points listed with how they were registered (text and JSON)', async () => {
  const files = { 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': RECORD_C(STASH_KMALLOC), 'clean.c': CLEAN_C, 'dev.c': DEV_C(''), 'helpers.c': '#include "nmi.h"\nBPF_CALL_1(bpf_h, int, x)\n{\n\treturn x;\n}\n' };
  for (const fullThreshold of [undefined, 0]) {
    const { engine, dir } = await open(files, fullThreshold);
    try {
      const eps = (await engine.entryPoints()).filter((e) => ['nmi', 'tracing', 'hardirq'].includes(e.context.id));
      assert.deepEqual(eps.map((e) => `${e.context.id}:${e.name}:${e.fn ? path.relative(dir, e.fn.file) : 'unresolved'}`).sort(), [
        'hardirq:dev_quick:dev.c', 'nmi:clean_nmi:clean.c', 'nmi:pmu_nmi_handler:pmu.c', 'tracing:bpf_h:helpers.c',
      ]);
      const pmu = eps.find((e) => e.name === 'pmu_nmi_handler')!;
      assert.equal(pmu.via, 'register_nmi_handler(NMI_LOCAL, pmu_nmi_handler, 0, "pmu")');
      assert.equal(pmu.owner, 'register_nmi_handler() in pmu_init()');
      const r = await engine.check();
      assert.deepEqual(r.atomic.map((e) => e.context.id), ['nmi', 'nmi', 'tracing', 'hardirq'], 'strictest first');
    } finally {
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('code action: kmalloc(GFP_ATOMIC) and the kfree() of the same pointer become kmalloc_nolock()/kfree_nolock()', async () => {
  const { engine, dir } = await open({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': RECORD_C(STASH_KMALLOC) });
  try {
    const r = await engine.check();
    const f = r.findings.filter((x) => x.rule === 'nmi-allocator-call');
    assert.equal(f.length, 2);
    for (const x of f) {
      const fix = x.fixes?.[0];
      assert.ok(fix, x.message);
      const rec = path.join(dir, 'record.c');
      assert.deepEqual(fix.edits.map((e) => [e.file, e.newText]).sort(), [[rec, 'kfree_nolock(s)'], [rec, 'kmalloc_nolock(sizeof(*s), 0, NUMA_NO_NODE)']]);
      // Applied, the NMI path is clean.
      const text = fs.readFileSync(rec, 'utf8').split('\n');
      for (const e of [...fix.edits].sort((a, b) => b.span[1] - a.span[1])) text[e.span[0]] = text[e.span[0]].slice(0, e.span[1]) + e.newText + text[e.span[0]].slice(e.span[3]);
      const fixed = await open({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': text.join('\n') });
      try {
        assert.deepEqual(brief((await fixed.engine.check()).findings, fixed.dir), []);
      } finally {
        await fixed.engine.close();
        fs.rmSync(fixed.dir, { recursive: true, force: true });
      }
    }
    // No fix for a kfree() whose pointer's allocation is not visible, nor for a gfp kmalloc_nolock() cannot honour.
    const other = await open({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': RECORD_C('\tstruct sample *s = kmalloc(8, GFP_KERNEL | __GFP_DMA);\n\n\tkfree(regs);\n\tkfree(s);') });
    try {
      const g = (await other.engine.check()).findings.filter((x) => x.rule === 'nmi-allocator-call');
      assert.equal(g.length, 3);
      assert.ok(g.every((x) => !x.fixes), 'no fix');
    } finally {
      await other.engine.close();
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: contexts lists the atomic entry points (text and JSON); check counts them per context', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const BIN = path.join(__dirname, '../../../bin/slabcheck.js');
  const cli = (args: string[], cwd: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const dir = tempWorkspace({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': RECORD_C(STASH_KMALLOC), 'dev.c': DEV_C(''), 'helpers.c': '#include "nmi.h"\nBPF_CALL_1(bpf_h, int, x)\n{\n\treturn x;\n}\n' });
  try {
    const t = cli(['contexts', '.', '--no-cache'], dir);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^nmi: NMI \(non-maskable interrupt handler\)$/m);
    assert.match(t.out, /^ {2}pmu_nmi_handler \(nmi handler of register_nmi_handler\(\) in pmu_init\(\), registered at pmu\.c:12 by register_nmi_handler\(NMI_LOCAL, pmu_nmi_handler, 0, "pmu"\)\): pmu\.c:4$/m);
    assert.match(t.out, /^ {2}bpf_h \(BPF helper of BPF_CALL_1\(\) definition, registered at helpers\.c:2 by BPF_CALL_1\(bpf_h, int, x\)\): helpers\.c:2$/m);
    assert.match(t.out, /^ {2}dev_quick \(irq handler \(primary\) of request_threaded_irq\(\) in dev_probe\(\)/m);
    const j = JSON.parse(cli(['contexts', '.', '--no-cache', '--format', 'json'], dir).out);
    assert.deepEqual(j.summary.atomic, { nmi: { found: 1, resolved: 1, registrations: 1 }, tracing: { found: 1, resolved: 1, registrations: 1 }, hardirq: { found: 1, resolved: 1, registrations: 1 } });
    const nmi = j.contexts.find((c: { id: string }) => c.id === 'nmi');
    assert.equal(nmi.entryPoints[0].registeredBy, 'register_nmi_handler(NMI_LOCAL, pmu_nmi_handler, 0, "pmu")');
    assert.ok(nmi.constraints.includes('trylock-only') && /nmi\.c nmi_handle\(\)/.test(nmi.source));
    assert.equal(cli(['contexts', '.', '--no-cache', '--context', 'hardirq'], dir).out.trim().split('\n').pop(), '1 entry points in 1 contexts (1 resolved), 0 shrinkers');
    const c = cli(['check', '.', '--no-cache'], dir);
    assert.equal(c.code, 1);
    assert.match(c.out, /entry points: 1 NMI, 1 tracing, 1 hardirq \(3 of 3 resolved\), 2 errors, 0 warnings$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a place more than two calls below the handler is a warning that says how deep it is (thin wrappers do not count)', async () => {
  // pmu_record -> pmu_mid -> pmu_stash, each with a branch of its own (a call besides the next one).
  const deep = RECORD_C(STASH_KMALLOC).replace('void pmu_record(struct pt_regs *regs)\n{\n\tpmu_stash(regs);\n}', 'void pmu_tick(void);\nstatic void pmu_mid(struct pt_regs *regs)\n{\n\tpmu_tick();\n\tpmu_stash(regs);\n}\n\nvoid pmu_record(struct pt_regs *regs)\n{\n\tpmu_tick();\n\tpmu_mid(regs);\n}');
  const { engine, dir } = await open({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': deep });
  try {
    const f = (await engine.check()).findings.filter((x) => x.rule === 'nmi-allocator-call');
    assert.equal(f.length, 2);
    for (const x of f) {
      assert.equal(x.severity, 'warning', x.message);
      assert.match(x.message, /\(3 calls deep: the summaries are path-insensitive/);
    }
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a perf overflow handler runs in NMI in generic and x86 code, in hardirq where the arch PMU interrupt is not an NMI (riscv)', async () => {
  const wd = (n: string) => `#include "../../nmi.h"\nstatic void ${n}_ovf(struct perf_event *e, void *d, struct pt_regs *r)\n{\n}\nint ${n}_init(void *attr)\n{\n\treturn perf_event_create_kernel_counter(attr, 0, NULL, ${n}_ovf, NULL) != NULL;\n}\n`;
  const { engine, dir } = await open({ 'nmi.h': NMI_H, 'arch/riscv/kvm.c': wd('rv'), 'arch/x86/kvm.c': wd('x86'), 'kernel/wd.c': wd('gen').replace('../../', '../') });
  try {
    const eps = await engine.atomicEntryPoints();
    assert.deepEqual(eps.map((e) => `${e.name}:${e.context.id}`).sort(), ['gen_ovf:nmi', 'rv_ovf:hardirq', 'x86_ovf:nmi']);
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrapper that hands a constant to its callee chooses a path: it counts towards the depth', async () => {
  const files = {
    'nmi.h': NMI_H,
    'con.c': `#include "nmi.h"
static int __con_poll(void *c, bool may_sleep)
{
	if (may_sleep)
		msleep(1);
	return 0;
}
int con_poll(void *c)
{
	return __con_poll(c, false);
}
static void con_helper(void *c)
{
	con_poll(c);
}
static irqreturn_t con_irq(int irq, void *c)
{
	con_helper(c);
	return IRQ_HANDLED;
}
int con_init(void *c)
{
	return request_irq(4, con_irq, 0, "con", c);
}
`,
  };
  const { engine, dir } = await open(files);
  try {
    const f = (await engine.check()).findings.filter((x) => x.rule === 'irq-may-sleep');
    assert.deepEqual(f.map((x) => x.severity), ['warning'], f.map((x) => x.message).join('\n'));
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a call that hands its callee a constant flag may pick a path without the lock: warning naming the constant; an unconditional call stays an error', async () => {
  // The debugger shape: the NMI enters as a secondary CPU (DBG_SECONDARY), which waits for the
  // primary and returns; only the primary takes dbg_hold_lock. Path-insensitive summaries merge both.
  const dbg = (arg: string) => `#include "nmi.h"
#define DBG_PRIMARY 1
#define DBG_SECONDARY 2
static DEFINE_RAW_SPINLOCK(dbg_hold_lock);
static int dbg_state[64];
static int dbg_enter(struct pt_regs *regs, int mode)
{
	dbg_state[0] |= mode;
	while (1) {
		if (dbg_state[0] & DBG_SECONDARY)
			return 0;
		if (dbg_state[0] & DBG_PRIMARY)
			break;
	}
	raw_spin_lock(&dbg_hold_lock);
	raw_spin_unlock(&dbg_hold_lock);
	return 1;
}
static int dbg_nmi(unsigned int cmd, struct pt_regs *regs)
{
	dbg_enter(regs, ${arg});
	return NMI_HANDLED;
}
int dbg_init(void)
{
	return register_nmi_handler(NMI_LOCAL, dbg_nmi, 0, "dbg");
}
`;
  for (const [arg, severity] of [['DBG_SECONDARY', 'warning'], ['(int)regs', 'error']] as const) {
    const { engine, dir } = await open({ 'nmi.h': NMI_H, 'dbg.c': dbg(arg) });
    try {
      const f = (await engine.check()).findings.filter((x) => x.rule === 'nmi-waiting-lock');
      assert.deepEqual(f.map((x) => x.severity), [severity], f.map((x) => x.message).join('\n'));
      if (severity === 'warning') assert.match(f[0].message, /dbg_nmi\(\) passes DBG_SECONDARY to dbg_enter\(\), which may take another path with it/);
    } finally {
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a place more than six calls below the handler is info, still with its chain', async () => {
  // pmu_record -> l1 -> ... -> l7 -> pmu_stash: each level with a call of its own besides the next.
  const levels = Array.from({ length: 7 }, (_, i) => `static void l${i + 1}(struct pt_regs *regs)\n{\n\tpmu_tick();\n\t${i === 6 ? 'pmu_stash' : `l${i + 2}`}(regs);\n}\n`).reverse().join('\n');
  const deep = RECORD_C(STASH_KMALLOC).replace('void pmu_record(struct pt_regs *regs)\n{\n\tpmu_stash(regs);\n}', `void pmu_tick(void);\n${levels}\nvoid pmu_record(struct pt_regs *regs)\n{\n\tpmu_tick();\n\tl1(regs);\n}`);
  const { engine, dir } = await open({ 'nmi.h': NMI_H, 'pmu.c': PMU_C, 'record.c': deep });
  try {
    const f = (await engine.check()).findings.filter((x) => x.rule === 'nmi-allocator-call');
    assert.equal(f.length, 2);
    for (const x of f) {
      assert.equal(x.severity, 'info', x.message);
      assert.match(x.message, /\(9 calls deep: the summaries are path-insensitive/);
      // The first call is the finding's own place; the other eight are its evidence.
      assert.equal(x.related.filter((r) => /calls /.test(r.note)).length, 8);
    }
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

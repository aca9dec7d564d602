/**
 * Contexts and entry points declared in .slabcheck.json: validated with the field named, found
 * by the registry (a struct field read from the tree, a registration call's argument), and
 * checked by the context's constraints (rule context-constraint).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { tempWorkspace, brief } from '../helpers';
import { Engine } from '../../server/src/engine/engine';
import { ConfigError, validateConfig } from '../../server/src/config/config';
import { CONTEXTS, ENTRY_PATTERNS } from '../../server/src/kb/contexts';

const CFG = {
  contexts: { 'my-irq': { title: 'my hard IRQ handler', maySleep: false, irqs: 'disabled', constraints: ['no-sleep', 'no-reclaim-alloc'] } },
  entryPoints: [
    { call: 'my_request_irq', arg: 1, context: 'my-irq', role: 'handler' },
    { field: 'my_ops.poll', context: 'my-irq' },
  ],
};

const SRC = `struct my_ops { int (*poll)(void *); };
int my_request_irq(int irq, int (*fn)(void *));
static int h1(void *d)
{
	void *p = kmalloc(16, GFP_KERNEL);

	return p != 0;
}
static int h2(void *d)
{
	return 0;
}
static int p1(void *d)
{
	msleep(1);
	return 0;
}
static struct my_ops ops = { .poll = p1 };
int setup(void)
{
	my_request_irq(1, h1);
	my_request_irq(2, h2);
	my_request_irq(3, missing_fn);
	return 0;
}
`;

test('config: contexts and entry points are validated, the field named', () => {
  const cfg = validateConfig(CFG, '/x/.slabcheck.json');
  assert.equal(cfg.contexts['my-irq'].maySleep, false);
  assert.deepEqual(cfg.entryPoints.map((e) => e.kind), ['call', 'field']);
  const bad = (raw: unknown, field: string) => assert.throws(() => validateConfig(raw, '/x/.slabcheck.json'), (e: unknown) => e instanceof ConfigError && e.field === field);
  bad({ entryPoints: [{ call: 'f', arg: 1, context: 'nope' }] }, 'entryPoints[0].context');
  bad({ entryPoints: [{ field: 'no_dot', context: 'shrinker-scan' }] }, 'entryPoints[0].field');
  bad({ entryPoints: [{ call: 'f', context: 'shrinker-scan' }] }, 'entryPoints[0].arg');
  bad({ contexts: { c: { constraints: ['no-such'] } } }, 'contexts.c.constraints');
  bad({ contexts: { c: { maySleep: 'no' } } }, 'contexts.c.maySleep');
});

test('kb: every context and pattern cites a source; patterns name known contexts', () => {
  for (const c of Object.values(CONTEXTS)) assert.ok(c.source.length > 10, c.id);
  for (const p of ENTRY_PATTERNS) {
    assert.ok(CONTEXTS[p.context], p.context);
    assert.ok(p.source.length > 10);
  }
});

test('declared entry points are found and checked by their context\'s constraints', async () => {
  const dir = tempWorkspace({ 'irq.c': SRC });
  for (const fullThreshold of [undefined, 0]) {
    const e = new Engine({ roots: [dir], jobs: 1, fullThreshold, config: validateConfig(CFG, path.join(dir, '.slabcheck.json')) });
    const eps = await e.entryPoints();
    const r = await e.check();
    await e.close();
    assert.deepEqual(eps.filter((x) => x.context.id === 'my-irq').map((x) => `${x.name}:${x.fn ? 'read' : 'unresolved'}`).sort(), ['h1:read', 'h2:read', 'missing_fn:unresolved', 'p1:read']);
    const got = brief(r.findings.filter((f) => f.rule === 'context-constraint'), dir);
    // h1 allocates with GFP_KERNEL (may sleep, may reclaim): two constraints; p1 sleeps; missing_fn is not read.
    assert.deepEqual(got, ['context-constraint@irq.c:15', 'context-constraint@irq.c:23', 'context-constraint@irq.c:5', 'context-constraint@irq.c:5'], `mode ${fullThreshold}\n${r.findings.map((f) => f.message).join('\n')}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

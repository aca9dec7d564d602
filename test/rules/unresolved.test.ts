import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { checkFiles, fileTests, registerRuleTests, RuleCase, tempWorkspace } from '../helpers';
import { cacheWith, HDR } from './common';

const test = fileTests(module);

/** `rule@a.c:N` for the first line of the file that contains the needle. */
function at(text: string, needle: string): string {
  const n = text.split('\n').findIndex((l) => l.includes(needle));
  if (n < 0) throw new Error(`fixture has no line with ${needle}`);
  return `unresolved-ctor-dtor@a.c:${n + 1}`;
}

const SLEEPY_DTOR = `
static void item_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
}
`;

const BY_CALL = `${HDR}
typedef void (*ctor_fn)(void *);
ctor_fn pick_ctor(int shift);
static struct kmem_cache *cache;
void make(int shift)
{
	cache = kmem_cache_create("x", 64, 0, 0, pick_ctor(shift));
}
`;
const BY_PARAM = `${HDR}
struct kmem_cache *make_cache(const char *name, void (*ctor)(void *))
{
	return kmem_cache_create(name, 64, 0, 0,
				 ctor);
}
`;
const NOT_FOUND = `${HDR}void asm_clear(void *p);\n${cacheWith('asm_clear', null)}`;
const ARGS_MACRO = `${HDR}
static struct kmem_cache *cache;
void make(void)
{
	cache = kmem_cache_create("x", 64, ITEM_CACHE_ARGS, 0);
}
`;
const CONDITIONAL = `${HDR}${SLEEPY_DTOR}
static struct kmem_cache *cache;
void make(bool want)
{
	struct kmem_cache_args args = { .dtor = want ? item_dtor : NULL };

	cache = kmem_cache_create("x", sizeof(struct item), &args, 0);
}
`;

export const cases: Record<string, RuleCase[]> = {
  'unresolved-ctor-dtor': [
    {
      name: 'named functions defined in the workspace',
      files: { 'a.c': `${HDR}${SLEEPY_DTOR}static int item_ctor(void *o, gfp_t gfp) { return 0; }\n${cacheWith('item_ctor', 'item_dtor')}` },
      expect: [],
    },
    {
      name: 'a creation wrapped in a function-like macro of the file, given named functions at its calls',
      files: { 'a.c': `${HDR}${SLEEPY_DTOR}#define item_cache_create(n, d) kmem_cache_create(n, sizeof(struct item), &(struct kmem_cache_args){ .dtor = d }, 0)\nstatic struct kmem_cache *a_cache, *b_cache;\nvoid make(void)\n{\n\ta_cache = item_cache_create("a", item_dtor);\n\tb_cache = item_cache_create("b", NULL);\n}\n` },
      expect: [],
    },
    { name: 'ctor chosen by a call', files: { 'a.c': BY_CALL }, expect: [at(BY_CALL, 'pick_ctor(shift))')] },
    { name: 'ctor passed in as a parameter', files: { 'a.c': BY_PARAM }, expect: [at(BY_PARAM, '\t ctor);')] },
    { name: 'definition not in the workspace', files: { 'a.c': NOT_FOUND }, expect: [at(NOT_FOUND, '.ctor = asm_clear')] },
    // Whatever the reader makes of an unknown macro, it must not be silence.
    { name: 'kmem_cache_args from a macro defined elsewhere', files: { 'a.c': ARGS_MACRO }, expect: [at(ARGS_MACRO, 'ITEM_CACHE_ARGS')] },
    { name: 'a conditional: both arms are checked, listed as info', files: { 'a.c': CONDITIONAL }, expect: [at(CONDITIONAL, 'want ? item_dtor')] },
  ],
};

registerRuleTests(cases, module);

test('unresolved-ctor-dtor: warning under the RFC, info under mainline; configurable', async () => {
  const files = { 'a.c': NOT_FOUND };
  const rfc = (await checkFiles(files, 'dtor-rfc')).findings.filter((f) => f.rule === 'unresolved-ctor-dtor');
  const main = (await checkFiles(files, 'mainline')).findings.filter((f) => f.rule === 'unresolved-ctor-dtor');
  assert.deepEqual(rfc.map((f) => f.severity), ['warning']);
  assert.deepEqual(main.map((f) => f.severity), ['info']);
  assert.match(rfc[0].message, /asm_clear\(\) of cache "item": definition not found in the workspace; no constructor rule ran on it/);
  const args = (await checkFiles({ 'a.c': ARGS_MACRO }, 'dtor-rfc')).findings.find((f) => f.rule === 'unresolved-ctor-dtor')!;
  assert.match(args.message, /^kmem_cache_args \(constructor and destructor\) of cache "x" is `ITEM_CACHE_ARGS`.*no constructor or destructor rule ran on it$/);
});

test('a candidate of a conditional dtor is checked as the dtor', async () => {
  const { findings } = await checkFiles({ 'a.c': CONDITIONAL });
  assert.ok(findings.some((f) => f.rule === 'dtor-sleeping-lock' && f.message.includes('item_dtor')), findings.map((f) => `${f.rule}: ${f.message}`).join('\n'));
});

test('check and caches JSON say how each ctor/dtor was read and what stays unresolved', () => {
  const dir = tempWorkspace({
    'a.c': `${HDR}
typedef void (*ctor_fn)(void *);
ctor_fn pick_ctor(int shift);
static void item_ctor(void *o) { }
static struct kmem_cache *a_cache, *b_cache;
void make(int shift)
{
	a_cache = kmem_cache_create("a", 64, 0, 0, pick_ctor(shift));
	b_cache = kmem_cache_create("b", 64, 0, 0, item_ctor);
}
`,
  });
  const bin = path.join(__dirname, '../../../bin/slabcheck.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--no-cache', '--semantics', 'mainline', dir], { encoding: 'utf8' });
  const check = JSON.parse(run(['check', '--format', 'json']).stdout);
  assert.equal(check.summary.unresolved, 1);
  const byName = Object.fromEntries(check.caches.map((c: { name: string }) => [c.name, c]));
  assert.equal(byName['"a"'].ctor.kind, 'indirect');
  assert.equal(byName['"a"'].ctor.expr, 'pick_ctor(shift)');
  assert.equal(byName['"a"'].ctor.unresolved, true);
  assert.equal(byName['"b"'].ctor.resolved.name, 'item_ctor');
  assert.equal(byName['"b"'].ctor.unresolved, false);
  const caches = JSON.parse(run(['caches', '--format', 'json']).stdout);
  const a = caches.caches.find((c: { name: string }) => c.name === 'a');
  assert.equal(a.refs.ctor.expr, 'pick_ctor(shift)');
  const text = run(['check']).stdout;
  assert.match(text, /2 caches checked \(2 with ctor\/dtor, 1 not resolved: see unresolved-ctor-dtor\)/);
});

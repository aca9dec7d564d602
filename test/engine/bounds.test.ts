/** Bounds that keep any input from exhausting the stack, stated as findings; one failing rule loses nothing else. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkFiles } from '../helpers';
import { RULES } from '../../server/src/rules';
import type { Rule } from '../../server/src/rules/types';
import { cacheWith, HDR } from '../rules/common';

test('a call cycle of 3,000 functions under a dtor: no stack overflow, the bound is a finding, the other cache is still checked', async () => {
  const n = 3000;
  const fns: string[] = [];
  for (let i = 0; i < n; i++) fns.push(`void chain_${i}(struct item *it);`);
  for (let i = 0; i < n; i++) fns.push(`void chain_${i}(struct item *it)\n{\n\tchain_${(i + 1) % n}(it);\n}`);
  const { findings } = await checkFiles({
    'a.c': `${HDR}${fns.join('\n')}
static void item_dtor(void *obj)
{
	chain_0(obj);
}
${cacheWith(null, 'item_dtor')}`,
    'b.c': `${HDR}
static void other_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
}
${cacheWith(null, 'other_dtor', 'other_cachep')}`,
  });
  const limit = findings.filter((f) => f.rule === 'analysis-limit');
  assert.equal(limit.length, 1, findings.map((f) => `${f.rule}: ${f.message}`).join('\n'));
  assert.match(limit[0].message, /^destructor item_dtor\(\): call chain deeper than 400 functions \(at chain_\d+\(\)\); its findings may be incomplete$/);
  assert.equal(limit[0].severity, 'info');
  assert.ok(findings.some((f) => f.rule === 'dtor-sleeping-lock' && f.message.includes('other_dtor')));
  assert.ok(!findings.some((f) => f.rule === 'internal-error'));
});

test('a rule that throws on one cache is an internal-error finding there; other rules and caches keep their results', async () => {
  const boom: Rule = {
    meta: { id: 'test-boom', defaultSeverity: 'error', description: 'throws', explanation: '', semantics: 'any' },
    check(_ctx, cache) {
      if (cache.creation.name === '"item"') throw new Error('boom');
    },
  };
  RULES.push(boom);
  try {
    const { findings } = await checkFiles({
      'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
}
${cacheWith(null, 'item_dtor')}`,
    });
    const ie = findings.filter((f) => f.rule === 'internal-error');
    assert.equal(ie.length, 1);
    assert.match(ie[0].message, /rule test-boom failed on cache "item": boom/);
    assert.ok(findings.some((f) => f.rule === 'dtor-sleeping-lock'), 'the other rules still ran on that cache');
  } finally {
    RULES.splice(RULES.indexOf(boom), 1);
  }
});

import { registerRuleTests, RuleCase } from '../helpers';
import { cacheWith, HDR } from './common';

export const cases: Record<string, RuleCase[]> = {
  'lock-imbalance': [
    {
      name: 'early return with the lock held; unlock of a lock never taken',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	spin_lock(&it->ilock);
	if (!it->owner)
		return -EINVAL;
	spin_unlock(&it->ilock);
	return 0;
}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_unlock_irqrestore(&it->owner->lock, flags);
}
${cacheWith('item_ctor', 'item_dtor')}`,
      },
      expect: ['lock-imbalance@a.c:22', 'lock-imbalance@a.c:31'],
    },
    {
      name: 'goto unwinding, guard(), and a trylock that bails out are balanced',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;
	int err = -ENOMEM;

	spin_lock(&it->ilock);
	if (!it->owner)
		goto out_unlock;
	if (!spin_trylock(&it->owner->lock))
		goto out_unlock;
	err = 0;
	spin_unlock(&it->owner->lock);
out_unlock:
	spin_unlock(&it->ilock);
	return err;
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	guard(spinlock_irqsave)(&it->ilock);
	if (!it->buf)
		return;
	it->buf = NULL;
}
${cacheWith('item_ctor', 'item_dtor')}`,
      },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);

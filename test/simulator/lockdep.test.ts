/** The lockdep-style validator over what the simulated CPUs did. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, formatReport } from '../../simulator/src/index';

const scenario = (programs: unknown[], extra: Record<string, unknown> = {}) => ({ version: 1, cpus: 2, programs, ...extra });

test('sleeping while atomic: GFP_KERNEL allocation and mutex under a spinlock', () => {
  const r = simulate([], { scenario: scenario([{ cpus: 0, steps: [
    { kind: 'lock', lock: 's', lockKind: 'spin' },
    { kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_KERNEL' },
    { kind: 'lock', lock: 'm', lockKind: 'mutex' },
    { kind: 'unlock', lock: 'm' },
    { kind: 'unlock', lock: 's' },
  ] }]) });
  const sleeps = r.findings.filter((f) => f.kind === 'sleep-in-atomic');
  assert.equal(sleeps.length, 2, JSON.stringify(r.findings.map((f) => f.message)));
  assert.match(sleeps[0].message, /sleeping function called from invalid context: .*kmalloc\(GFP_KERNEL\).* while holding s \(spin\)/);
  assert.match(sleeps[1].message, /m \(a sleeping lock\) taken while holding s \(spin\)/);
  assert.equal(r.ok, false);
  assert.match(formatReport(r), /BUG: sleeping function called from invalid context/);
});

test('GFP_ATOMIC under a spinlock and GFP_KERNEL without one are fine', () => {
  const r = simulate([], { scenario: scenario([{ cpus: 0, steps: [
    { kind: 'lock', lock: 's', irq: 'irqsave' },
    { kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_ATOMIC' },
    { kind: 'unlock', lock: 's' },
    { kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_KERNEL' },
    { kind: 'lock', lock: 'm', lockKind: 'mutex' },
    { kind: 'unlock', lock: 'm' },
  ] }]) });
  assert.deepEqual(r.findings, []);
  assert.equal(r.ok, true);
});

test('sleeping in hardirq context and with interrupts disabled', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, context: 'hardirq', steps: [{ kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_KERNEL' }] },
    { cpus: 1, steps: [{ kind: 'lock', lock: 'x', irq: 'irqsave' }, { kind: 'call', fn: 'msleep' }, { kind: 'unlock', lock: 'x' }] },
  ]) });
  const msgs = r.findings.map((f) => f.message);
  assert.ok(msgs.some((m) => /in hardirq context/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /msleep\(\) while holding x/.test(m)), msgs.join('\n'));
});

test('irq-safe/irq-unsafe conflict: a lock taken in hardirq context and with interrupts enabled', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, context: 'hardirq', iterations: 2, steps: [{ kind: 'lock', lock: 'x' }, { kind: 'work', ns: 100 }, { kind: 'unlock', lock: 'x' }] },
    { cpus: 1, iterations: 2, steps: [{ kind: 'lock', lock: 'x' }, { kind: 'work', ns: 100 }, { kind: 'unlock', lock: 'x' }] },
  ]) });
  const f = r.findings.find((x) => x.kind === 'inconsistent-irq-state');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.message)));
  assert.match(f.message, /x \{IN-HARDIRQ-W\} -> \{HARDIRQ-ON-W\} usage/);
  const text = formatReport(r);
  assert.match(text, /WARNING: inconsistent lock state/);
  assert.match(text, /<Interrupt>/);
});

test('the same lock with irqsave everywhere is consistent', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, context: 'hardirq', steps: [{ kind: 'lock', lock: 'x' }, { kind: 'unlock', lock: 'x' }] },
    { cpus: 1, steps: [{ kind: 'lock', lock: 'x', irq: 'irqsave' }, { kind: 'work', ns: 10 }, { kind: 'unlock', lock: 'x' }] },
  ]) });
  assert.deepEqual(r.findings, []);
});

test('irq-safe -> irq-unsafe dependency', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, context: 'hardirq', steps: [{ kind: 'lock', lock: 'a' }, { kind: 'work', ns: 100 }, { kind: 'unlock', lock: 'a' }] },
    { cpus: 1, steps: [
      { kind: 'lock', lock: 'a', irq: 'irqsave' }, { kind: 'lock', lock: 'b' }, { kind: 'unlock', lock: 'b' }, { kind: 'unlock', lock: 'a' },
      { kind: 'work', ns: 1000 }, { kind: 'lock', lock: 'b' }, { kind: 'unlock', lock: 'b' },
    ] },
  ]) });
  const f = r.findings.find((x) => x.kind === 'irq-lock-inversion');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.message)));
  assert.deepEqual(f.locks, ['a', 'b']);
  assert.match(formatReport(r), /HARDIRQ-safe -> HARDIRQ-unsafe lock order detected/);
});

test('an ABBA between two CPUs is a real deadlock with both CPUs in the cycle', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, steps: [{ kind: 'lock', lock: 'A' }, { kind: 'work', ns: 1000 }, { kind: 'lock', lock: 'B' }, { kind: 'unlock', lock: 'B' }, { kind: 'unlock', lock: 'A' }] },
    { cpus: 1, steps: [{ kind: 'lock', lock: 'B' }, { kind: 'work', ns: 1000 }, { kind: 'lock', lock: 'A' }, { kind: 'unlock', lock: 'A' }, { kind: 'unlock', lock: 'B' }] },
  ]) });
  assert.equal(r.deadlocks.length, 1);
  assert.deepEqual(r.deadlocks[0].cycle.map((e) => e.cpu).sort(), [0, 1]);
  assert.ok(r.findings.some((f) => f.kind === 'circular-dependency'));
  const text = formatReport(r);
  assert.match(text, /CPU0 waits for [AB] held by CPU1/);
  assert.match(text, /CPU1 waits for [AB] held by CPU0/);
});

test('a lock never released stalls its waiters and is reported', () => {
  const r = simulate([], { scenario: scenario([
    { cpus: 0, steps: [{ kind: 'lock', lock: 'L' }, { kind: 'work', ns: 10 }] },
    { cpus: 1, steps: [{ kind: 'work', ns: 100 }, { kind: 'lock', lock: 'L' }, { kind: 'unlock', lock: 'L' }] },
  ]) });
  assert.equal(r.deadlocks[0]?.kind, 'stall');
  assert.ok(r.findings.some((f) => f.kind === 'lock-held-at-exit'));
});

test('the exec workload with the RFC model is lockdep-clean in both modes', () => {
  for (const mode of ['baseline', 'ctor-dtor'] as const) {
    const r = simulate([], { cpus: 24, mode, durationNs: 2e6 });
    assert.deepEqual(r.findings, [], mode);
    assert.equal(r.ok, true, mode);
  }
});

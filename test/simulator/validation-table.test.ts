/**
 * The validation table in docs/simulator.md is the one the bench prints:
 * regenerated here with the bench's fixed seed and run length, compared line
 * for line with the table between the markers. Nothing here knows a figure:
 * a change of model, cost or seed that moves any simulated value breaks it
 * until the docs are regenerated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validate, validationMarkdown, PUBLISHED_FIGURES, VALIDATION_SEED, VALIDATION_DURATION_NS } from '../../simulator/src/index';
import { REPO as REPO_ROOT } from './helpers';

function documented(name: string): string {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'simulator.md'), 'utf8');
  const start = doc.indexOf(`<!-- ${name}:start -->\n`);
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  assert.ok(start >= 0 && end > start, `docs/simulator.md has the ${name} markers`);
  return doc.slice(start + `<!-- ${name}:start -->\n`.length, end);
}

test('the documented validation table is the generated one (fixed seed)', () => {
  const rows = validate({ seed: VALIDATION_SEED, durationNs: VALIDATION_DURATION_NS });
  assert.equal(rows.length, PUBLISHED_FIGURES.length, 'one row per published figure');
  const generated = validationMarkdown(rows);
  assert.equal(documented('validation-table'), generated,
    'docs/simulator.md is stale: regenerate the table with `npm run bench` (or validationMarkdown(validate()))');
  // Every row's verdict follows from its numbers.
  for (const r of rows) {
    const d = Math.abs(r.simulated - r.published);
    assert.equal(r.within, r.unit === '%' ? d <= 5 : d <= 0.05 * r.published, r.id);
    assert.ok(Math.abs(r.difference - (r.simulated - r.published)) < 0.01, r.id);
  }
});

test('the table is deterministic and moves with the costs', () => {
  const a = validate({ durationNs: 5e6 });
  const b = validate({ durationNs: 5e6 });
  assert.deepEqual(a, b, 'same seed, same table');
  const c = validate({ durationNs: 5e6, costs: { pcpuAllocPathNs: 1000 } });
  const gain = (rows: typeof a, id: string) => rows.find((r) => r.id === id)!.simulated;
  assert.ok(gain(c, 'exec-1') > gain(a, 'exec-1'), 'a longer percpu path raises the 1-CPU gain');
  assert.ok(gain(c, 'tc-sys') > gain(a, 'tc-sys'), 'and the tc system-time reduction');
  assert.equal(gain(c, 'shr-trylock'), gain(a, 'shr-trylock'), 'the shrinker does not use the percpu allocator');
});

test('the documented sensitivity table names costs that exist, three per figure', () => {
  const t = documented('sensitivity-table');
  const lines = t.trim().split('\n').slice(2);
  assert.equal(lines.length, PUBLISHED_FIGURES.length);
  for (const l of lines) {
    const costs = [...l.matchAll(/`([A-Za-z0-9]+)` \((measured|published|assumed)\)/g)].map((m) => m[1]);
    assert.equal(costs.length, 3, l);
  }
});

test('docs/simulator.md lists every cost with its value and kind as costs.ts has them', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { COST_TABLE } = require('../../simulator/src/costs') as typeof import('../../simulator/src/costs');
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'simulator.md'), 'utf8');
  const rows = new Map<string, { value: string; kind: string }>();
  for (const m of doc.matchAll(/^\| `([A-Za-z0-9]+)` \| ([^|]+) \| (measured|published|assumed) \| [^|]+\|$/gm)) rows.set(m[1], { value: m[2].trim(), kind: m[3] });
  for (const [name, e] of Object.entries(COST_TABLE)) {
    const r = rows.get(name);
    assert.ok(r, `${name} is in the docs' cost table`);
    assert.equal(r.kind, e.kind, name);
    const shown = e.unit === 'ns' ? (e.value >= 1000 ? `${e.value / 1000} us` : `${e.value} ns`) : String(e.value);
    assert.equal(r.value, shown, name);
  }
  assert.equal(rows.size, Object.keys(COST_TABLE).length, 'no cost in the docs that the code lacks');
});

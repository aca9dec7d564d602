/** The JSON Schema and the code validator describe the same scenario format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COST_NAMES, validateScenario } from '../../simulator/src/index';
import { SCENARIO_TOP_KEYS, STEP_KINDS } from '../../simulator/src/validate-scenario';
import { LOCK_KINDS } from '../../simulator/src/scenario-types';
import { readRepoJson } from './helpers';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const schema = readRepoJson('simulator/schema/scenario.schema.json') as J;

test('the schema is draft-07 with the same top-level properties as the validator', () => {
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(Object.keys(schema.properties).sort(), [...SCENARIO_TOP_KEYS].sort());
  assert.deepEqual([...schema.required].sort(), ['cpus', 'programs', 'version']);
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.cpus.minimum, 1);
  assert.equal(schema.properties.cpus.maximum, 1024);
});

test('costs, step kinds and lock kinds match the code', () => {
  assert.deepEqual(Object.keys(schema.properties.costs.properties).sort(), [...COST_NAMES].sort());
  for (const p of Object.values(schema.properties.costs.properties) as J[]) assert.equal(p.minimum, 0);
  const kinds = schema.definitions.steps.items.oneOf.map((s: J) => s.properties.kind.const);
  assert.deepEqual(kinds.sort(), [...STEP_KINDS].sort());
  assert.deepEqual([...schema.properties.locks.items.properties.kind.enum].sort(), [...LOCK_KINDS].sort());
});

test('the shipped example scenarios are valid', () => {
  for (const f of ['simulator/scenarios/reclaim-deadlock.json', 'simulator/scenarios/reclaim-leaf-lock.json', 'simulator/scenarios/shrinker-rwsem.json', 'simulator/scenarios/shrinker-lockless.json']) {
    assert.deepEqual(validateScenario(readRepoJson(f)), { ok: true, errors: [] }, f);
  }
});

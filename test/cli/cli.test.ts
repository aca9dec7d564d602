import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempWorkspace } from '../helpers';

const ROOT = path.join(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/slabcheck.js');
const EXAMPLE = path.join(ROOT, 'examples/percpu-cache');

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('check: gcc-style text with evidence notes, exit 1 on errors', () => {
  const r = cli(['check', EXAMPLE, '--no-cache']);
  assert.equal(r.code, 1, r.err);
  const lines = r.out.trim().split('\n');
  const heads = lines.filter((l) => !l.startsWith(' '));
  for (const h of heads.slice(0, -1)) assert.match(h, /^[^:]+\.c:\d+:\d+: (error|warning|info): .+ \[[a-z-]+\]$/);
  assert.ok(lines.some((l) => /^ {4}[^:]+\.c:\d+:\d+: note: /.test(l)), 'evidence as indented note lines');
  assert.match(lines[lines.length - 1], /^2 caches checked \(2 with ctor\/dtor\), \d+ errors, \d+ warnings$/);
  assert.ok(r.out.includes('[dtor-reclaim-deadlock]'));
});

test('check --format json and sarif', () => {
  const j = cli(['check', EXAMPLE, '--no-cache', '--format', 'json']);
  const data = JSON.parse(j.out);
  assert.equal(data.semantics, 'dtor-rfc');
  assert.ok(data.findings.every((f: { rule: string; related: unknown[] }) => typeof f.rule === 'string' && Array.isArray(f.related)));
  const s = cli(['check', EXAMPLE, '--no-cache', '--format=sarif']);
  const sarif = JSON.parse(s.out);
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  assert.equal(run.tool.driver.name, 'slabcheck');
  assert.equal(run.results.length, data.findings.length);
  for (const res of run.results) {
    assert.equal(run.tool.driver.rules[res.ruleIndex].id, res.ruleId);
    assert.ok(['error', 'warning', 'note'].includes(res.level));
    assert.ok(res.locations[0].physicalLocation.region.startLine >= 1);
    assert.ok(!res.locations[0].physicalLocation.artifactLocation.uri.startsWith('/'), 'relative URIs');
  }
  assert.ok(run.results.some((r: { relatedLocations: unknown[] }) => r.relatedLocations.length > 0));
});

test('exit 0 on a clean tree, 2 on bad usage, 2 with the field named on a bad .slabcheck.json', () => {
  const clean = tempWorkspace({ 'a.c': 'int main(void) { return 0; }\n' });
  assert.equal(cli(['check', clean, '--no-cache']).code, 0);
  const bad = cli(['check', '--format', 'xml', clean]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--format must be text, json or sarif/);
  assert.equal(cli(['frobnicate']).code, 2);
  assert.equal(cli(['check', '--jobs', 'zero', clean]).code, 2);
  const cfg = tempWorkspace({ 'a.c': 'int x;\n', '.slabcheck.json': '{"semantics": "rfc", "rules": {}}' });
  const c = cli(['check', cfg, '--no-cache']);
  assert.equal(c.code, 2);
  assert.match(c.err, /\.slabcheck\.json: semantics: must be "mainline" or "dtor-rfc"/);
  const cfg2 = tempWorkspace({ 'a.c': 'int x;\n', '.slabcheck.json': '{"rules": {"no-such-rule": "error"}}' });
  assert.match(cli(['check', cfg2, '--no-cache']).err, /rules\.no-such-rule: unknown rule/);
  const cfg3 = tempWorkspace({ 'a.c': 'int x;\n', '.slabcheck.json': '{"rules": ' });
  assert.match(cli(['check', cfg3, '--no-cache']).err, /not valid JSON/);
});

test('caches lists ctor/dtor with what they do; locks draws the graph with leaves', () => {
  const c = cli(['caches', EXAMPLE, '--no-cache']);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /widget\.c:\d+:\d+: "widget" \[kmem_cache_create \+ kmem_cache_args\] -> widget_cachep/);
  assert.match(c.out, /ctor: widget_ctor at .*widget\.c:\d+:\d+: allocates alloc_percpu\(\).*takes pcpu_alloc_mutex, pcpu_lock \(irqs off\); may sleep/);
  assert.match(c.out, /dtor: widget_dtor at .*: no allocation; frees free_percpu; takes widget_registry\.reg_lock, pcpu_lock \(irqs off\); does not sleep/);
  const j = JSON.parse(cli(['caches', EXAMPLE, '--no-cache', '--format', 'json']).out);
  assert.equal(j.caches.length, 2);
  assert.ok(j.caches.every((m: { version: number; ctor?: { steps: unknown[] } }) => m.version === 1 && m.ctor && m.ctor.steps.length > 0));
  const dot = cli(['locks', EXAMPLE, '--no-cache', '--format', 'dot']);
  assert.match(dot.out, /^digraph locks \{/);
  assert.match(dot.out, /"widget_registry\.reg_lock" -> "registry\.c:widget_stats_lock"|"widget_registry\.reg_lock" -> "widget_stats_lock"/);
  assert.match(dot.out, /"widget_stats_lock" \[style=filled, fillcolor="#d8f5d0", tooltip="leaf"\]/);
  // pcpu_lock is taken only inside mm/percpu.c, which is not here: not shown as a leaf.
  assert.match(dot.out, /"pcpu_lock";/);
  const txt = cli(['locks', EXAMPLE, '--no-cache']);
  assert.match(txt.out, /lock classes, \d+ edges, \d+ leaves/);
  // JSON version 2: each step once in a table; an edge's evidence is what --class gives for it.
  const g = JSON.parse(cli(['locks', EXAMPLE, '--no-cache', '--format', 'json']).out);
  assert.equal(g.version, 2);
  const edge = g.edges.find((e: { from: string; to: string }) => e.from === 'widget_registry.reg_lock' && e.to === 'fs_reclaim');
  const steps = edge.evidence.map((i: number) => { const [f, l0, c0, l1, c1, n] = g.steps[i]; return { file: g.files[f], span: [l0, c0, l1, c1], note: g.notes[n] }; });
  const q = JSON.parse(cli(['locks', EXAMPLE, '--no-cache', '--class', 'widget_registry.reg_lock', '--format', 'json']).out);
  assert.deepEqual(steps, q.nests.find((n: { cls: string }) => n.cls === 'fs_reclaim').evidence);
  assert.equal(new Set(g.steps.map((r: number[]) => r.join())).size, g.steps.length, 'each step once');
});

test('the content-hash cache gives the same answer warm', () => {
  const cacheDir = fs.mkdtempSync('/tmp/slabcheck-cache-');
  const a = cli(['check', EXAMPLE, '--cache-dir', cacheDir, '--format', 'json']);
  const b = cli(['check', EXAMPLE, '--cache-dir', cacheDir, '--format', 'json']);
  assert.ok(fs.readdirSync(path.join(cacheDir, 'facts')).length > 0);
  assert.deepEqual(JSON.parse(b.out).findings, JSON.parse(a.out).findings);
});

test('locks --class: kind, sites, what nests under it and what it nests under, leaf with the reason', () => {
  const r = cli(['locks', EXAMPLE, '--no-cache', '--class', 'widget_registry.reg_lock', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const q = JSON.parse(r.out);
  assert.equal(q.found, true);
  assert.deepEqual(q.kinds, ['spin']);
  assert.equal(q.sites.count, 2);
  assert.equal(q.leaf, 'no');
  assert.deepEqual(q.nests.map((n: { cls: string }) => n.cls).sort(), ['fs_reclaim', 'kmem_cache_node.list_lock', 'widget_stats_lock']);
  assert.ok(q.nests.every((n: { evidence: unknown[] }) => n.evidence.length > 0));
  const under = JSON.parse(cli(['locks', EXAMPLE, '--no-cache', '--class', 'widget_stats_lock', '--format', 'json']).out);
  assert.equal(under.leaf, 'yes');
  assert.deepEqual(under.under.map((n: { cls: string }) => n.cls), ['widget_registry.reg_lock']);
  // A knowledge-base lock whose code is not in the workspace is not called a leaf.
  const kb = JSON.parse(cli(['locks', EXAMPLE, '--no-cache', '--class', 'pcpu_lock', '--format', 'json']).out);
  assert.equal(kb.leaf, 'unknown');
  const missing = cli(['locks', EXAMPLE, '--no-cache', '--class', 'reg_lock']);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /reg_lock: no acquisition of this class in the tree; similar: widget_registry\.reg_lock/);
});

test('the problemMatcher contributed for tasks reads every finding line of check, and no note line', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const pm = pkg.contributes.problemMatchers.find((m: { name: string }) => m.name === 'slabcheck');
  const re = new RegExp(pm.pattern.regexp);
  const r = cli(['check', EXAMPLE, '--no-cache']);
  const lines = r.out.trim().split('\n');
  const heads = lines.filter((l) => /\[[a-z-]+\]$/.test(l) && !l.startsWith(' '));
  assert.ok(heads.length >= 3);
  for (const h of heads) {
    const m = re.exec(h);
    assert.ok(m, h);
    assert.ok(fs.existsSync(path.resolve(ROOT, m[pm.pattern.file])), m[pm.pattern.file]);
    assert.match(m[pm.pattern.code], /^[a-z-]+$/);
    assert.ok(!m[pm.pattern.message].endsWith(']'));
  }
  for (const n of lines.filter((l) => l.startsWith(' '))) assert.equal(re.exec(n), null, n);
  // Every command in one palette category.
  assert.deepEqual([...new Set(pkg.contributes.commands.map((c: { category: string }) => c.category))], ['slabcheck']);
});

test('every command has --help with its options, examples and exit codes; bad paths and options are usage errors', async () => {
  const { COMMANDS, useColour } = await import('../../server/src/cli/help');
  assert.deepEqual([...COMMANDS].sort(), ['caches', 'check', 'contexts', 'kb', 'locks', 'lsp', 'rules']);
  for (const cmd of COMMANDS) {
    for (const form of [[cmd, '--help'], ['help', cmd], [cmd, '-h']]) {
      const r = cli(form);
      assert.equal(r.code, 0, `${form.join(' ')}: ${r.err}`);
      assert.match(r.out, new RegExp(`^usage: slabcheck ${cmd}\\b`), form.join(' '));
      assert.match(r.out, /^examples:$/m, form.join(' '));
      assert.match(r.out, /^exit status:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /m, form.join(' '));
    }
  }
  assert.match(cli(['locks', '--help']).out, /--held-under/);
  assert.match(cli(['check', '--help']).out, /--format text\|json\|sarif/);
  const sim = cli(['simulate', '--help']);
  assert.equal(sim.code, 0);
  assert.match(sim.out, /simulate/);
  assert.match(cli(['--help']).out, /^exit status:/m);
  // A path that cannot be read fails the run (a typo in CI must not pass as a clean tree).
  const bad = cli(['check', '/nonexistent/slabcheck-path']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /\/nonexistent\/slabcheck-path: cannot read \(ENOENT\)/);
  assert.equal(cli(['check', '--frobnicate']).code, 2);
  assert.equal(cli(['help', 'frobnicate']).code, 2);
  // Colour: a terminal only, never under NO_COLOR or TERM=dumb.
  const env = { ...process.env };
  try {
    delete process.env.NO_COLOR;
    process.env.TERM = 'xterm';
    assert.equal(useColour({ isTTY: true }), true);
    assert.equal(useColour({ isTTY: false }), false);
    process.env.NO_COLOR = '1';
    assert.equal(useColour({ isTTY: true }), false);
    delete process.env.NO_COLOR;
    process.env.TERM = 'dumb';
    assert.equal(useColour({ isTTY: true }), false);
  } finally {
    process.env.NO_COLOR = env.NO_COLOR;
    if (env.NO_COLOR === undefined) delete process.env.NO_COLOR;
    if (env.TERM === undefined) delete process.env.TERM;
    else process.env.TERM = env.TERM;
  }
});

/**
 * The parts behind the simulation webviews, without an editor: the job
 * runner in a real worker thread (the bundled dist/sim-worker.js, built here
 * with the extension's esbuild config) with progress, results equal to an
 * inline run, errors and a prompt, leak-free cancellation; the chart data;
 * the lock graph layout; scenario documents (template, checks beyond the
 * schema placed on the right JSON value).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { activeWorkers, runInWorker, SimulationCancelled, type CancelToken } from '../../client/src/simRunner';
import { checkJob, DEFAULT_JOB_SEEDS, mergeResults, runJob, type SimJob } from '../../client/src/shared/simJob';
import { defaultMemoryRun, lockWaitBreakdown, memorySeries, throughputSeries } from '../../client/src/shared/chartData';
import { layoutGraph } from '../../client/src/shared/graphLayout';
import { anchorsFor } from '../../client/src/shared/payloads';
import { locate, parseJsonTree, scenarioProblems, scenarioTemplate } from '../../client/src/shared/scenarioDoc';
import { demoDtorModel, mmStructModel } from '../../simulator/src/default-models';
import { defaultCosts } from '../../simulator/src/costs';
import { sweep } from '../../simulator/src/simulate';
import { validateScenario } from '../../simulator/src/validate-scenario';
import type { CacheModel } from '../../simulator/src/model';

const REPO = path.resolve(__dirname, '../../..');

class Token implements CancelToken {
  isCancellationRequested = false;
  private listeners: (() => unknown)[] = [];
  disposed = 0;
  onCancellationRequested(l: () => unknown) {
    this.listeners.push(l);
    return { dispose: () => { this.disposed++; this.listeners = this.listeners.filter((x) => x !== l); } };
  }
  cancel() {
    this.isCancellationRequested = true;
    for (const l of [...this.listeners]) l();
  }
  get listening() {
    return this.listeners.length;
  }
}

function mm(): CacheModel {
  return mmStructModel(defaultCosts());
}

describe('simulation jobs in a worker thread', { timeout: 120000 }, () => {
  let dir: string;
  let worker: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-simworker-'));
    worker = path.join(dir, 'sim-worker.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require(path.join(REPO, 'client', 'build.js')) as { buildSimWorker(o: string): Promise<unknown> }).buildSimWorker(worker);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a job with progress per CPU count; same result as inline', async () => {
    const job: SimJob = { models: [mm()], workload: 'exec', cpus: [24, 1], durationNs: 4_000_000 };
    const progress: string[] = [];
    const token = new Token();
    const out = await runInWorker(worker, job, { token, onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.label}`) });
    assert.deepStrictEqual(progress, ['0/2 exec on 1 CPU, baseline and ctor/dtor, 5 seeds', '1/2 exec on 24 CPUs, baseline and ctor/dtor, 5 seeds']);
    assert.strictEqual(out.result.runs.length, 4);
    assert.deepStrictEqual(out.result.compare!.map((r) => r.cpus), [1, 24]);
    const inline = runJob(job);
    assert.deepStrictEqual(out.result, inline.result, 'deterministic: the worker computes what runs inline');
    assert.strictEqual(out.report, inline.report);
    assert.strictEqual(token.listening, 0, 'the cancellation subscription is released');
    assert.strictEqual(activeWorkers(), 0);
  });

  it('a merged per-point run equals one sweep over the same points', () => {
    const a = runJob({ models: [mm()], workload: 'exec', cpus: [1, 24], durationNs: 2_000_000 }).result;
    const b = sweep([mm()], { workload: 'exec', cpus: [1, 24], durationNs: 2_000_000, seeds: DEFAULT_JOB_SEEDS });
    assert.deepStrictEqual(a, b);
    assert.strictEqual(mergeResults([b]), b);
  });

  it('reports bad jobs and worker errors as errors', async () => {
    assert.deepStrictEqual(checkJob({ models: [], workload: 'exec', cpus: [] }), ['models: at least one cache model', 'cpus: a non-empty list of integers between 1 and 1024']);
    assert.deepStrictEqual(checkJob({ models: [mm()], workload: 'nope' as 'exec', cpus: [0] }), ['workload: one of lifetime, exec, burst, reclaim', 'cpus: a non-empty list of integers between 1 and 1024']);
    assert.match(checkJob({ models: [], workload: 'exec', cpus: [1], scenario: { version: 1 } }).join('\n'), /scenario: cpus: is required/);
    await assert.rejects(runInWorker(worker, { models: [], workload: 'exec', cpus: [1] }), /models: at least one cache model/);
    await assert.rejects(runInWorker(path.join(dir, 'missing.js'), { models: [mm()], workload: 'exec', cpus: [1] }), /Cannot find module|MODULE_NOT_FOUND/);
    assert.strictEqual(activeWorkers(), 0);
  });

  it('cancelling terminates the worker promptly and leaks nothing', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => /Worker|MessagePort/.test(r)).length;
    const token = new Token();
    // Several seconds of work: 192-CPU exec runs of 400 ms simulated time each.
    const job: SimJob = { models: [mm()], workload: 'exec', cpus: [96, 128, 192], durationNs: 400_000_000 };
    let progressed = 0;
    const p = runInWorker(worker, job, { token, onProgress: () => progressed++ });
    await new Promise((r) => setTimeout(r, 400));
    assert.strictEqual(activeWorkers(), 1, 'running');
    const t0 = Date.now();
    token.cancel();
    await assert.rejects(p, (e) => e instanceof SimulationCancelled);
    const ms = Date.now() - t0;
    assert.ok(ms < 1000, `stopped in ${ms} ms`);
    assert.strictEqual(activeWorkers(), 0, 'the worker thread is gone when the promise settles');
    assert.strictEqual(token.listening, 0);
    assert.ok(progressed >= 1);
    await new Promise((r) => setImmediate(r));
    const afterN = process.getActiveResourcesInfo().filter((r) => /Worker|MessagePort/.test(r)).length;
    assert.ok(afterN <= before, `no worker handle left: ${process.getActiveResourcesInfo().join(', ')}`);
    // Already cancelled: nothing starts.
    await assert.rejects(runInWorker(worker, job, { token }), (e) => e instanceof SimulationCancelled);
    assert.strictEqual(activeWorkers(), 0);
  });

  it('a time limit stops a run the same way', async () => {
    await assert.rejects(runInWorker(worker, { models: [mm()], workload: 'exec', cpus: [192], durationNs: 400_000_000 }, { timeoutMs: 300 }), /did not finish within/);
    assert.strictEqual(activeWorkers(), 0);
  });
});

describe('chart data from a simulation result', () => {
  const r = runJob({ models: [demoDtorModel('demo_lock', 'spin', 'irqsave')], workload: 'exec', cpus: [1, 4], durationNs: 2_000_000 }).result;
  it('throughput for both modes against CPUs', () => {
    const s = throughputSeries(r);
    assert.deepStrictEqual(s.cpus, [1, 4]);
    // The means over the seeds, as the compare rows have them; the band is the seeds' range.
    assert.deepStrictEqual(s.baseline, r.compare!.map((c) => c.baselinePerSec));
    assert.deepStrictEqual(s.ctorDtor, r.compare!.map((c) => c.ctorDtorPerSec));
    assert.deepStrictEqual(s.gainPct, r.compare!.map((c) => c.gainPct));
    assert.deepStrictEqual(s.gainMin, r.compare!.map((c) => c.spread!.gainPct.min));
    assert.deepStrictEqual(s.gainMax, r.compare!.map((c) => c.spread!.gainPct.max));
    assert.deepStrictEqual(s.verdict, r.compare!.map((c) => c.verdict));
  });
  it('lock wait per class and run; memory of one run', () => {
    const b = lockWaitBreakdown(r, 2);
    assert.strictEqual(b.runs.length, 4);
    assert.ok(b.classes.length <= 3);
    for (const c of b.classes) assert.strictEqual(c.waitMs.length, 4);
    const m = memorySeries(r.runs[1]);
    assert.strictEqual(m.tMs.length, r.runs[1].memory.length);
    assert.strictEqual(defaultMemoryRun(r), 3, '4 CPUs, ctor-dtor');
  });
  it('anchors come from the model, first location wins, relative labels', () => {
    const model: CacheModel = {
      version: 1, name: 'c', variable: 'c_cachep', objectSize: { bytes: 64 }, align: 8, flags: [],
      at: { file: '/w/a.c', startLine: 9, startCol: 2, endLine: 9, endCol: 30 },
      ctor: { name: 'c_ctor', at: { file: '/w/a.c', startLine: 1, startCol: 4, endLine: 1, endCol: 10 }, steps: [{ kind: 'lock', lock: 'l', lockKind: 'spin', at: { file: '/w/a.c', startLine: 2, startCol: 1, endLine: 2, endCol: 9 } }, { kind: 'unlock', lock: 'l' }], summary: '', maySleep: false },
      dtor: { name: 'c_dtor', steps: [{ kind: 'lock', lock: 'l', lockKind: 'spin', at: { file: '/w/a.c', startLine: 7, startCol: 1, endLine: 7, endCol: 9 } }], summary: '', maySleep: false },
    };
    const a = anchorsFor([model], (f) => path.basename(f));
    assert.deepStrictEqual(a.map((x) => `${x.kind}:${x.text}@${x.label}`), ['cache:c@a.c:10', 'ctor:c_ctor@a.c:2', 'lock:l@a.c:3', 'cache:c_cachep@a.c:10']);
  });
});

describe('lock graph layout', () => {
  it('layers left to right, breaks cycles, keeps every edge', () => {
    const names = ['a', 'b', 'c', 'd', 'fs_reclaim', 'lonely'];
    const edges = [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'a', to: 'c' }, { from: 'c', to: 'a' }, { from: 'd', to: 'fs_reclaim' }, { from: 'fs_reclaim', to: 'd' }, { from: 'b', to: 'b' }, { from: 'a', to: 'b' }];
    const L = layoutGraph(names, edges);
    assert.strictEqual(L.nodes.length, 6);
    assert.strictEqual(L.edges.length, 7, 'duplicates merged');
    const n = Object.fromEntries(L.nodes.map((x) => [x.name, x]));
    assert.ok(n.a.layer < n.b.layer && n.b.layer < n.c.layer);
    const back = L.edges.filter((e) => e.back).map((e) => `${e.from}>${e.to}`).sort();
    assert.deepStrictEqual(back, ['b>b', 'c>a', 'fs_reclaim>d']);
    for (const e of L.edges.filter((x) => !x.back)) assert.ok(n[e.from].x + n[e.from].w < n[e.to].x, `${e.from}->${e.to}`);
    for (const e of L.edges) assert.match(e.path, /^M[\d.-]+,[\d.-]+ C/);
    // No two nodes overlap.
    for (const p of L.nodes) for (const q of L.nodes) if (p !== q) assert.ok(p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y, `${p.name} / ${q.name}`);
    assert.ok(L.width > 0 && L.height > 0);
    assert.deepStrictEqual(layoutGraph(names, edges), L, 'deterministic');
  });
  it('an empty graph', () => {
    assert.deepStrictEqual(layoutGraph([], []).nodes, []);
  });
});

describe('simulation scenario documents', () => {
  it('the template is a valid scenario that runs', () => {
    const t = scenarioTemplate('demo');
    const doc = JSON.parse(t);
    assert.deepStrictEqual(validateScenario(doc), { ok: true, errors: [] });
    assert.deepStrictEqual(scenarioProblems(t), []);
    const r = runJob({ models: [], workload: 'exec', cpus: [1], scenario: doc }).result;
    assert.strictEqual(r.workload, 'scenario');
    assert.strictEqual(r.runs.length, 2, 'baseline and ctor/dtor');
    assert.ok(r.ok, r.findings.map((f) => f.message).join('\n'));
  });

  it('the template is filled from the workspace caches: their sizes, ctor/dtor steps and locks; it validates and runs', () => {
    const widget: CacheModel = {
      version: 1, name: 'widget', variable: 'widget_cachep', objectSize: { bytes: 40, estimated: true }, align: 8, flags: ['SLAB_ACCOUNT'],
      at: { file: '/w/widget.c', startLine: 45, startCol: 17, endLine: 45, endCol: 60 },
      ctor: { name: 'widget_ctor', summary: '', maySleep: true, steps: [{ kind: 'alloc', allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, at: { file: '/w/widget.c', startLine: 11, startCol: 1, endLine: 11, endCol: 9 } }] },
      dtor: {
        name: 'widget_dtor', summary: '', maySleep: false,
        steps: [
          { kind: 'lock', lock: 'widget_registry.reg_lock', lockKind: 'spin', irq: 'none' }, { kind: 'call', fn: 'list_del_init' },
          { kind: 'unlock', lock: 'widget_registry.reg_lock' }, { kind: 'free', allocator: 'free_percpu', percpu: true },
        ],
      },
    };
    const plain: CacheModel = { ...widget, name: 'plain', variable: undefined, ctor: undefined, dtor: undefined };
    const t = scenarioTemplate('mine', [plain, widget], (f) => path.basename(f));
    const doc = JSON.parse(t);
    assert.deepStrictEqual(validateScenario(doc), { ok: true, errors: [] });
    assert.deepStrictEqual(doc.caches.map((c: { name: string }) => c.name), ['widget', 'plain'], 'caches with a ctor/dtor first');
    assert.strictEqual(doc.caches[0].objectSize, 40);
    assert.deepStrictEqual(doc.caches[0].dtor.steps[0], { kind: 'lock', lock: 'widget_registry.reg_lock', lockKind: 'spin', irq: 'none' });
    assert.ok(!t.includes('"at"'), 'no source ranges in the document');
    assert.deepStrictEqual(doc.locks, [{ name: 'widget_registry.reg_lock', kind: 'spin' }]);
    assert.match(doc.description, /widget \(widget\.c:46\)/);
    assert.ok(!t.includes('dev_obj'), 'not the fixed demonstration');
    const r = runJob({ models: [], workload: 'exec', cpus: [1], scenario: doc, seeds: 1 }).result;
    assert.deepStrictEqual(r.caches, ['widget', 'plain']);
    assert.ok(r.runs.some((x) => x.caches.some((c) => c.name === 'widget' && c.dtorRuns > 0)), 'reclaim ran the widget dtor');
    // No caches: the demonstration.
    assert.match(scenarioTemplate('none', []), /dev_obj/);
  });

  it('checks beyond the schema land on the value they are about; schema errors are left to the JSON service', () => {
    const doc = JSON.parse(scenarioTemplate('demo'));
    doc.programs[3].steps[3].lock = 'dev.mutx';
    doc.cpus = 0;
    const text = JSON.stringify(doc, null, 2);
    const probs = scenarioProblems(text);
    assert.ok(probs.length >= 1, JSON.stringify(probs));
    const unknown = probs.find((p) => /unknown lock "dev.mutx"/.test(p.message))!;
    assert.ok(unknown, JSON.stringify(probs));
    assert.strictEqual(text.slice(unknown.start, unknown.end), '"dev.mutx"');
    assert.ok(!probs.some((p) => /^cpus: must be an integer/.test(p.message)), 'the schema reports cpus');
    assert.deepStrictEqual(scenarioProblems('{ "version": 1, '), [], 'not JSON yet: the JSON service reports it');
  });

  it('JSON paths locate values', () => {
    const text = '{"a": [1, {"b": "x"}], "c": {"d": [true]}}';
    const t = parseJsonTree(text);
    const at = (p: string) => { const n = locate(t, p); return text.slice(n.start, n.end); };
    assert.strictEqual(at('a[1].b'), '"x"');
    assert.strictEqual(at('c.d[0]'), 'true');
    assert.strictEqual(at('a[7]'), '[1, {"b": "x"}]', 'the deepest existing value');
  });
});

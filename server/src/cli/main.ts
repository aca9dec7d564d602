/**
 * `slabcheck` command line: check, caches, locks, simulate, lsp, rules.
 * Exit status: 0 clean, 1 errors found, 2 bad usage, 3 incomplete (cli/help.ts EXIT_CODES).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, loadConfigFile, Semantics } from '../config/config';
import { Engine } from '../engine/engine';
import { cacheRefsJson, isUnresolved } from '../engine/cache-json';
import { verifyKb } from '../engine/kb-verify';
import { HeldUnderQuery, queryHeldUnder, queryLockClass } from '../engine/lock-query';
import type { SiteEvidence } from '../index/held-under';
import { defaultCacheDir } from '../index/project';
import { initParser, ParserLoadError, parserInfo } from '../parse/parser';
import { RULES, RULE_IDS } from '../rules';
import { formatFinding } from './format-text';
import { toSarif } from './format-sarif';
import type { CacheInfo, Step } from '../index/analysis';
import { CONTEXTS } from '../kb/contexts';
import type { EntryPoint } from '../contexts/registry';
import { commandHelp, EXIT_CODES, useColour } from './help';

const VERSION = '0.1.0';

const USAGE = `usage: slabcheck <command> [options] [paths...]

commands:
  check [paths...]     run the rules; findings with evidence (exit 1 when errors are found)
  caches [paths...]    list slab caches with their constructor/destructor and what they do
  contexts [paths...]  list entry points by execution context (slab ctor/dtor, shrinker callbacks in reclaim)
  locks [paths...]     the lock graph of the workspace (leaves marked); --class NAME: one class
                       (--held-under: what is held at each of its acquisition sites, outliers;
                       --class may be repeated)
  simulate [options]   run the allocator simulator (slabcheck simulate --help)
  kb verify [tree]     check the knowledge base's claims against the tree's code
  lsp --stdio          run the language server on stdin/stdout
  rules                list the rules with their explanations

options:
  --format text|json|sarif|dot   output format (sarif: check only; dot: locks only)
  --semantics auto|mainline|dtor-rfc  ctor/dtor semantics (default auto: .slabcheck.json, else dtor-rfc
                                when the tree's include/linux/slab.h declares kmem_cache_args.dtor, else mainline)
  --jobs N                       worker threads (default: number of CPUs)
  --config FILE                  a .slabcheck.json to use
  --no-cache                     do not read or write the content-hash cache
  --cache-dir DIR                where the cache lives (default: ${defaultCacheDir()})
  -o, --output FILE              write the report to FILE
  -h, --help                     this help; slabcheck <command> --help (or slabcheck help <command>): that command's
  --version                      print the version and which parser runs

colour on a terminal only, never when NO_COLOR is set.

${EXIT_CODES}`;

interface Args {
  command: string;
  paths: string[];
  format: string;
  semantics?: Semantics;
  jobs?: number;
  config?: string;
  cache: boolean;
  cacheDir?: string;
  output?: string;
  listParsed?: string;
  /** locks --class NAME */
  lockClass?: string;
  /** locks --class NAME --held-under */
  heldUnder?: boolean;
  /** Every --class given (--held-under answers each, from one load of the graph). */
  lockClasses?: string[];
  /** contexts --context ID */
  context?: string;
  rest: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const a: Args = { command: argv[0] ?? '', paths: [], format: 'text', cache: true, rest: argv.slice(1) };
  const need = (i: number, name: string) => {
    if (i >= argv.length || argv[i].startsWith('--')) throw new UsageError(`option ${name} needs a value`);
    return argv[i];
  };
  for (let i = 1; i < argv.length; i++) {
    const x = argv[i];
    const eq = x.indexOf('=');
    const [opt, inline] = x.startsWith('--') && eq > 0 ? [x.slice(0, eq), x.slice(eq + 1)] : [x, undefined];
    const val = (name: string) => inline ?? need(++i, name);
    switch (opt) {
      case '--format': a.format = val('--format'); break;
      case '--semantics': {
        const s = val('--semantics');
        if (s !== 'mainline' && s !== 'dtor-rfc' && s !== 'auto') throw new UsageError(`--semantics must be auto, mainline or dtor-rfc, got '${s}'`);
        // auto: .slabcheck.json, else the tree's include/linux/slab.h (config/detect-semantics.ts)
        a.semantics = s === 'auto' ? undefined : s;
        break;
      }
      case '--jobs': case '-j': {
        const n = Number(val('--jobs'));
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('--jobs must be an integer from 1 to 256');
        a.jobs = n;
        break;
      }
      case '--config': a.config = val('--config'); break;
      case '--no-cache': a.cache = false; break;
      case '--cache-dir': a.cacheDir = val('--cache-dir'); break;
      case '-o': case '--output': a.output = val('--output'); break;
      case '--list-parsed': a.listParsed = val('--list-parsed'); break;
      case '--class': a.lockClass = val('--class'); (a.lockClasses ??= []).push(a.lockClass); break;
      case '--held-under': a.heldUnder = true; break;
      case '--context': a.context = val('--context'); break;
      case '--stdio': case '--all': break;
      default:
        if (x.startsWith('-')) throw new UsageError(`unknown option ${x}`);
        a.paths.push(x);
    }
  }
  return a;
}

function progress(): ((phase: string, done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (phase, done, total) => {
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    process.stderr.write(`\r\x1b[K${phase}: ${done}/${total} files`);
    if (done >= total) process.stderr.write('\r\x1b[K');
  };
}

async function openEngine(a: Args): Promise<Engine> {
  const paths = a.paths.length ? a.paths : ['.'];
  // A path named on the command line that cannot be read is bad usage, not a clean tree (a typo in CI).
  for (const p of paths) {
    try {
      fs.accessSync(p, fs.constants.R_OK);
    } catch (e) {
      throw new UsageError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const root = fs.existsSync(paths[0]) && fs.statSync(paths[0]).isDirectory() ? paths[0] : path.dirname(paths[0]);
  let config;
  if (a.config) {
    config = loadConfigFile(path.dirname(a.config), RULE_IDS).config;
    if (path.basename(a.config) !== '.slabcheck.json') {
      const { validateConfig } = await import('../config/config');
      config = validateConfig(JSON.parse(fs.readFileSync(a.config, 'utf8')), a.config, RULE_IDS);
    }
  } else config = loadConfigFile(root, RULE_IDS).config;
  return new Engine({
    roots: paths.map((p) => path.resolve(p)),
    config,
    semantics: a.semantics,
    jobs: a.jobs,
    cacheDir: a.cache ? a.cacheDir ?? defaultCacheDir() : undefined,
    onProgress: progress(),
  });
}

function out(a: Args, text: string): void {
  if (a.output) fs.writeFileSync(a.output, text.endsWith('\n') ? text : `${text}\n`);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function reportProblems(problems: { path: string; message: string }[]): void {
  for (const p of problems) process.stderr.write(`slabcheck: ${path.relative(process.cwd(), p.path) || p.path}: ${p.message}\n`);
}

async function cmdCheck(a: Args): Promise<number> {
  if (!['text', 'json', 'sarif'].includes(a.format)) throw new UsageError(`check: --format must be text, json or sarif, got '${a.format}'`);
  const engine = await openEngine(a);
  try {
    const r = await engine.check();
    reportProblems(r.problems);
    // The tree chose the destructor RFC: say so, since the same command checks mainline trees differently.
    const src = engine.config.semanticsSource ?? '';
    if (src.startsWith('auto:') && engine.config.semantics === 'dtor-rfc') process.stderr.write(`slabcheck: semantics dtor-rfc (${src})\n`);
    if (a.listParsed) fs.writeFileSync(a.listParsed, [...engine.project.facts.keys()].join('\n'));
    benchStats(engine);
    const errors = r.findings.filter((f) => f.severity === 'error').length;
    const rfc = engine.config.semantics === 'dtor-rfc';
    const unresolved = r.caches.filter((c) => isUnresolved(c, rfc)).length;
    if (a.format === 'json') {
      const caches = r.caches.map((c) => ({ name: c.creation.name, file: c.file, line: c.creation.at[0] + 1, ...cacheRefsJson(c) }));
      out(a, JSON.stringify({ version: 1, semantics: engine.config.semantics, semanticsSource: engine.config.semanticsSource, summary: { atomicEntryPoints: atomicCounts(r.atomic), shrinkers: r.shrinkers.length, shrinkerCallbacks: r.shrinkers.reduce((n, s) => n + s.callbacks.length, 0), shrinkerCallbacksResolved: r.shrinkers.reduce((n, s) => n + s.callbacks.filter((c) => c.fn).length, 0), caches: r.caches.length, withCtorDtor: r.caches.filter((c) => c.creation.ctor.kind !== 'none' || c.creation.dtor.kind !== 'none').length, unresolved, errors, warnings: r.findings.filter((f) => f.severity === 'warning').length }, findings: r.findings, problems: r.problems, caches }, null, 2));
    }
    else if (a.format === 'sarif') out(a, JSON.stringify(toSarif(r.findings, a.paths[0] ?? '.', VERSION), null, 2));
    else {
      const text = r.findings.map((f) => formatFinding(f, !a.output && useColour(process.stdout))).join('\n');
      const warnings = r.findings.filter((f) => f.severity === 'warning').length;
      const withRef = r.caches.filter((c) => c.creation.ctor.kind !== 'none' || c.creation.dtor.kind !== 'none').length;
      const cbs = r.shrinkers.flatMap((s) => s.callbacks);
      const shr = r.shrinkers.length ? `, ${r.shrinkers.length} shrinkers (${cbs.filter((c) => c.fn).length} of ${cbs.length} callbacks resolved)` : '';
      const ac = atomicCounts(r.atomic);
      const atom = r.atomic.length ? `, entry points: ${ac.nmi.found} NMI, ${ac.tracing.found} tracing, ${ac.hardirq.found} hardirq (${r.atomic.filter((e) => e.fn).length} of ${r.atomic.length} resolved)` : '';
      out(a, `${text ? `${text}\n` : ''}${r.caches.length} caches checked (${withRef} with ctor/dtor${unresolved ? `, ${unresolved} not resolved: see unresolved-ctor-dtor` : ''})${shr}${atom}, ${errors} errors, ${warnings} warnings`);
    }
    // 3: a rule failed on some cache (internal-error findings): the run is incomplete.
    if (r.findings.some((f) => f.rule === 'internal-error')) return 3;
    return errors > 0 ? 1 : 0;
  } finally {
    await engine.close();
  }
}

/** NMI, tracing and hardirq entry points found and resolved, per context. */
function atomicCounts(eps: EntryPoint[]): Record<'nmi' | 'tracing' | 'hardirq', { found: number; resolved: number; registrations: number }> {
  const out = { nmi: { found: 0, resolved: 0, registrations: 0 }, tracing: { found: 0, resolved: 0, registrations: 0 }, hardirq: { found: 0, resolved: 0, registrations: 0 } };
  for (const e of eps) {
    const c = out[e.context.id as keyof typeof out];
    if (!c) continue;
    c.found++;
    if (e.fn) c.resolved++;
    c.registrations += 1 + (e.alsoAt?.length ?? 0);
  }
  return out;
}

function describeFn(kind: string, c: CacheInfo, engine: Engine): string {
  const ref = kind === 'ctor' ? c.creation.ctor : c.creation.dtor;
  const resolved = kind === 'ctor' ? c.ctor : c.dtor;
  if (ref.kind === 'none') return '';
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  if (ref.kind === 'indirect') {
    const checked = (kind === 'ctor' ? c.ctorCandidates : c.dtorCandidates) ?? [];
    const cands = ref.candidates ? `; candidates: ${ref.candidates.map((n) => checked.some((x) => x.fn.name === n) ? n : `${n} (not found)`).join(', ')}` : '';
    return `  ${kind}: indirect: ${ref.expr} (${ref.why})${cands}${checked.length ? '' : '; not resolved: no rule ran on it'}`;
  }
  if (!resolved) return `  ${kind}: ${ref.name} (definition not found in the workspace)`;
  const s = engine.analysis.summary(resolved);
  const locks = [...s.acquires.values()].map((l) => `${l.cls}${l.irqOff ? ' (irqs off)' : ''}`);
  const what = [
    s.allocs.length ? `allocates ${[...new Set(s.allocs.map((x) => `${x.fn}(${x.gfp ?? ''})`))].join(', ')}` : 'no allocation',
    s.frees.length ? `frees ${[...new Set(s.frees.map((x) => x.fn))].join(', ')}` : '',
    locks.length ? `takes ${locks.join(', ')}` : 'takes no lock',
    s.maySleep ? 'may sleep' : s.honoursGfp ? 'sleeps only if the caller\'s gfp allows (allocates with the gfp it is given)' : 'does not sleep',
  ].filter(Boolean).join('; ');
  return `  ${kind}: ${resolved.fn.name} at ${rel(resolved.file)}:${resolved.fn.nameAt[0] + 1}:${resolved.fn.nameAt[1] + 1}: ${what}`;
}

async function cmdCaches(a: Args): Promise<number> {
  if (!['text', 'json'].includes(a.format)) throw new UsageError(`caches: --format must be text or json, got '${a.format}'`);
  const engine = await openEngine(a);
  try {
    const caches = await engine.caches();
    reportProblems(engine.project.problems);
    benchStats(engine);
    if (a.format === 'json') {
      const models = await engine.models();
      // The model is what the simulator runs; the refs say how each ctor/dtor was read and resolved.
      out(a, JSON.stringify({ version: 1, caches: models.map((m, i) => ({ ...m, refs: cacheRefsJson(caches[i]) })) }, null, 2));
      return 0;
    }
    const lines: string[] = [];
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const all = a.rest.includes('--all');
    const shown = all ? caches : caches.filter((c) => c.creation.ctor.kind !== 'none' || c.creation.dtor.kind !== 'none');
    for (const c of shown) {
      const cr = c.creation;
      lines.push(`${rel(c.file)}:${cr.at[0] + 1}:${cr.at[1] + 1}: ${cr.name} [${cr.api}${cr.form === 'args' ? ' + kmem_cache_args' : ''}]${cr.assignedTo ? ` -> ${cr.assignedTo}` : ''}`);
      for (const k of ['ctor', 'dtor']) {
        const d = describeFn(k, c, engine);
        if (d) lines.push(d);
      }
    }
    lines.push(`${shown.length} caches with a constructor or destructor${all ? '' : ` (of ${caches.length} caches; --all lists every cache)`}`);
    out(a, lines.join('\n'));
    return 0;
  } finally {
    await engine.close();
  }
}


async function cmdContexts(a: Args): Promise<number> {
  if (!['text', 'json'].includes(a.format)) throw new UsageError(`contexts: --format must be text or json, got '${a.format}'`);
  const only = a.context;
  if (only !== undefined && !CONTEXTS[only]) throw new UsageError(`contexts: --context must be one of ${Object.keys(CONTEXTS).join(', ')}, got '${only ?? ''}'`);
  const engine = await openEngine(a);
  try {
    const eps = (await engine.entryPoints()).filter((e) => !only || e.context.id === only);
    const shrinkers = await engine.shrinkers();
    reportProblems(engine.project.problems);
    benchStats(engine);
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const byCtx = new Map<string, typeof eps>();
    for (const e of eps) byCtx.set(e.context.id, [...(byCtx.get(e.context.id) ?? []), e]);
    if (a.format === 'json') {
      out(a, JSON.stringify({
        version: 1,
        summary: { entryPoints: eps.length, resolved: eps.filter((e) => e.fn).length, shrinkers: shrinkers.length, ...(eps.some((e) => ['nmi', 'tracing', 'hardirq'].includes(e.context.id)) ? { atomic: atomicCounts(eps) } : {}) },
        contexts: [...byCtx].map(([id, list]) => ({
          ...CONTEXTS[id],
          entryPoints: list.map((e) => ({
            family: e.family, role: e.role, name: e.name, owner: e.owner, registeredAt: { file: e.registeredAt.file, line: e.registeredAt.span[0] + 1 },
            definition: e.fn ? { file: e.fn.file, line: e.fn.fn.nameAt[0] + 1 } : undefined, unresolved: e.unresolved,
            ...(e.via ? { registeredBy: e.via } : {}),
            ...(e.alsoAt?.length ? { alsoRegisteredAt: e.alsoAt.map((x) => ({ file: x.file, line: x.span[0] + 1 })) } : {}),
          })),
        })),
        shrinkers: shrinkers.map((s) => ({
          name: s.name, target: s.target, api: s.api, file: s.file, line: s.anchor.span[0] + 1, registeredBy: s.anchor.what,
          callbacks: s.callbacks.map((c) => ({ role: c.role, value: c.binding.expr, definition: c.fn ? { file: c.fn.file, line: c.fn.fn.nameAt[0] + 1 } : undefined, unresolved: c.unresolved })),
          freedBy: s.frees.map((f) => ({ api: f.api, line: f.at[0] + 1 })),
        })),
      }, null, 2));
      return 0;
    }
    const lines: string[] = [];
    for (const [id, list] of byCtx) {
      const c = CONTEXTS[id];
      lines.push(`${id}: ${c.title}`);
      lines.push(`  may sleep: ${c.maySleep ? 'yes' : 'no'}; IRQs: ${c.irqs}; in reclaim: ${c.inReclaim ? 'yes' : 'no'}; NMI: ${c.nmi ? 'yes' : 'no'}; safe gfp: ${c.safeGfp}`);
      for (const e of list) {
        const def = e.fn ? `${rel(e.fn.file)}:${e.fn.fn.nameAt[0] + 1}` : `not resolved: ${e.unresolved}`;
        const also = e.alsoAt?.length ? ` and ${e.alsoAt.map((x) => `${rel(x.file)}:${x.span[0] + 1}`).join(', ')}` : '';
        lines.push(`  ${e.name} (${e.role} of ${e.owner}, registered at ${rel(e.registeredAt.file)}:${e.registeredAt.span[0] + 1}${also}${e.via ? ` by ${e.via}` : ''}): ${def}`);
      }
    }
    const res = eps.filter((e) => e.fn).length;
    lines.push(`${eps.length} entry points in ${byCtx.size} contexts (${res} resolved), ${shrinkers.length} shrinkers`);
    out(a, lines.join('\n'));
    return 0;
  } finally {
    await engine.close();
  }
}

async function cmdKbVerify(a: Args): Promise<number> {
  if (!['text', 'json'].includes(a.format)) throw new UsageError(`kb verify: --format must be text or json, got '${a.format}'`);
  const engine = await openEngine(a);
  try {
    const r = await verifyKb(engine);
    reportProblems(engine.project.problems);
    benchStats(engine);
    if (a.format === 'json') {
      out(a, JSON.stringify({ version: 1, ...r }, null, 2));
      return 0;
    }
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const lines: string[] = [];
    const chain = (steps: Step[] | undefined) => (steps ?? []).map((st) => `      ${rel(st.file)}:${st.span[0] + 1}:${st.span[1] + 1}: ${st.note}`);
    for (const f of r.functions) {
      if (f.status === 'not-in-tree' || f.status === 'header-only') continue;
      const where = f.definition ? ` (${rel(f.definition.file)}:${f.definition.line})` : f.definitions ? ` (${f.definitions} .c definitions: the knowledge base answers)` : '';
      lines.push(`${f.name}${where}: ${f.status}`);
      for (const n of f.notes) lines.push(`    ${n.text}`, ...chain(n.evidence));
    }
    for (const l of r.locks) {
      if (l.status === 'not-in-tree') continue;
      lines.push(`lock ${l.lock}: knowledge base: ${l.kbSays}; ${l.nests.length ? `the code takes ${l.nests.map((x) => x.cls).join(', ')} while holding it` : l.heldInCode ? 'nothing found taken under it' : 'not found in the code'}: ${l.status}`);
      for (const x of l.nests) lines.push(`    ${x.cls}:`, ...chain(x.evidence));
    }
    const count = (xs: { status: string }[], st: string) => xs.filter((x) => x.status === st).length;
    const fs_ = r.functions;
    lines.push(`${fs_.length} knowledge-base functions: ${count(fs_, 'agrees')} agree, ${count(fs_, 'disagrees')} disagree, ${count(fs_, 'unconfirmed')} unconfirmed, ${count(fs_, 'ambiguous')} ambiguous, ${count(fs_, 'header-only')} only macros or inlines in headers, ${count(fs_, 'not-in-tree')} not in the tree; ${r.locks.length} locks: ${count(r.locks, 'disagrees')} disagree; ${r.disagreements} disagreements`);
    out(a, lines.join('\n'));
    return 0;
  } finally {
    await engine.close();
  }
}

async function cmdHeldUnder(a: Args, classes: string[]): Promise<number> {
  const engine = await openEngine(a);
  try {
    const qs: HeldUnderQuery[] = [];
    for (const cls of classes) qs.push(await queryHeldUnder(engine, cls));
    reportProblems(engine.project.problems);
    benchStats(engine);
    const found = qs.every((q) => q.sites > 0);
    if (a.format === 'json') {
      out(a, JSON.stringify(qs.length === 1 ? { version: 1, ...qs[0] } : { version: 1, classes: qs }, null, 2));
      return found ? 0 : 1;
    }
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const site = (s: SiteEvidence) => {
      const via = s.via ? `; called from ${s.via.join(' <- ')}${s.viaCallers ? ` (and ${s.viaCallers - 1} more calls)` : ''}${s.underViaCallers.length ? `, which holds ${s.underViaCallers.join(', ')}` : ', which holds nothing'}` : s.underViaCallers.length ? `; every caller (${s.callers}) holds ${s.underViaCallers.join(', ')}` : '';
      const here = s.under.length ? `holds ${s.under.join(', ')}` : 'holds nothing';
      return `      ${rel(s.file)}:${s.line}: ${s.fn}() ${s.op}${s.trylock ? ' (trylock)' : ''} [${s.mode}]: ${here}${via}${s.irqOff ? '; interrupts off' : ''}`;
    };
    const lines: string[] = [];
    for (const q of qs) {
      if (lines.length) lines.push('');
      lines.push(q.summary, `how: ${q.method}${q.callerFilesRead ? `; ${q.callerFilesRead} more files read for callers` : ''}`);
      for (const r of q.under) lines.push(`  under ${r.cls} (${r.count}):`, ...r.sites.map(site));
      if (q.nothing.length) lines.push(`  under nothing (${q.nothing.length}):`, ...q.nothing.map(site));
      lines.push(q.outliers.length ? `outliers (under no lock where most sites are under one): ${q.outliers.map((o) => `${o.fn}() ${rel(o.file)}:${o.line}${o.via ? ` via ${o.via.join(' <- ')}` : ''}`).join(', ')}` : 'outliers: none');
    }
    out(a, lines.join('\n'));
    return found ? 0 : 1;
  } finally {
    await engine.close();
  }
}

async function cmdLockClass(a: Args, cls: string): Promise<number> {
  if (!['text', 'json'].includes(a.format)) throw new UsageError(`locks --class: --format must be text or json, got '${a.format}'`);
  if (a.heldUnder) return cmdHeldUnder(a, a.lockClasses ?? [cls]);
  const engine = await openEngine(a);
  try {
    const q = await queryLockClass(engine, cls);
    reportProblems(engine.project.problems);
    benchStats(engine);
    if (a.format === 'json') {
      out(a, JSON.stringify({ version: 1, ...q }, null, 2));
      return q.found ? 0 : 1;
    }
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const chain = (steps: Step[]) => steps.map((st) => `      ${rel(st.file)}:${st.span[0] + 1}:${st.span[1] + 1}: ${st.note}`);
    if (!q.found) {
      out(a, `${cls}: no acquisition of this class in the tree${q.suggestions?.length ? `; similar: ${q.suggestions.join(', ')}` : ''}`);
      return 1;
    }
    const lines = [
      `${cls}: ${q.kinds.join('/') || 'taken only through the knowledge base'}, ${q.sites.count} acquisition site${q.sites.count === 1 ? '' : 's'}${q.sites.trylocks ? ` (${q.sites.trylocks} trylocks)` : ''}`,
      `leaf: ${q.leaf}: ${q.why}`,
    ];
    if (q.unresolved) lines.push(`unresolved: ${q.unresolved}`);
    if (q.knowledgeBase) lines.push(`knowledge base: ${q.knowledgeBase.nonLeafBecause ? `not a leaf: ${q.knowledgeBase.nonLeafBecause}` : q.knowledgeBase.leaf ? 'a leaf' : 'no leaf claim'}${q.knowledgeBase.definedIn ? ` (defined in ${q.knowledgeBase.definedIn})` : ''}`);
    if (q.knowledgeBase?.saidInDiscussion) lines.push(`said in the discussion: ${q.knowledgeBase.saidInDiscussion}; the code: leaf ${q.leaf}`);
    lines.push(`taken while it is held (${q.nests.length}):`);
    for (const n of q.nests) lines.push(`    ${n.cls}`, ...chain(n.evidence));
    lines.push(`taken under (${q.under.length}):`);
    for (const n of q.under) lines.push(`    ${n.cls}`, ...chain(n.evidence));
    lines.push('acquisition sites (first 10):');
    for (const st of q.sites.first) lines.push(`    ${rel(st.file)}:${st.line}: ${st.fn}() ${st.op}`);
    out(a, lines.join('\n'));
    return 0;
  } finally {
    await engine.close();
  }
}

async function cmdLocks(a: Args): Promise<number> {
  if (a.lockClass !== undefined) return cmdLockClass(a, a.lockClass);
  if (!['text', 'json', 'dot'].includes(a.format)) throw new UsageError(`locks: --format must be text, json or dot, got '${a.format}'`);
  const engine = await openEngine(a);
  try {
    const view = await engine.graphView();
    reportProblems(engine.project.problems);
    benchStats(engine);
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const sorted = view.classNames().sort();
    const byTo = (a: { cls: string }, b: { cls: string }) => (a.cls < b.cls ? -1 : a.cls > b.cls ? 1 : 0);
    const last = (ev: Step[]) => ev[ev.length - 1];
    // The kernel's graph is hundreds of MB as one string: write it piece by piece.
    const w = new ChunkWriter(a.output);
    try {
      if (a.format === 'dot') {
        w.line('digraph locks {\n  rankdir=LR;\n  node [shape=box, fontname="monospace"];');
        for (const c of sorted) w.line(`  "${c}"${view.isLeaf(c) ? ' [style=filled, fillcolor="#d8f5d0", tooltip="leaf"]' : c === 'fs_reclaim' ? ' [shape=ellipse, style=dashed]' : ''};`);
        for (const c of sorted) for (const n of view.nests(c).sort(byTo)) w.line(`  "${c}" -> "${n.cls}" [tooltip="${rel(last(n.evidence).file)}:${last(n.evidence).span[0] + 1}"];`);
        w.line('}');
      } else if (a.format === 'json') {
        // Version 2: each evidence step once, in a table after the edges (an edge lists step
        // numbers): Linux 6.12's graph is 1 GB written step by step, a tenth of that so.
        w.line(`{"version":2,"classes":${JSON.stringify(sorted.map((c) => { const u = view.unresolved(c); return u ? { name: c, leaf: view.isLeaf(c), unresolved: u } : { name: c, leaf: view.isLeaf(c) }; }))},"edges":[`);
        const steps = new StepTable();
        let first = true;
        for (const e of view.edges()) {
          w.line(`${first ? '' : ','}${JSON.stringify({ from: e.from, to: e.to, evidence: e.chain().map((st) => steps.id(st)) })}`);
          first = false;
        }
        w.line(`],${steps.json()}}`);
      } else {
        let edges = 0;
        let leaves = 0;
        for (const c of sorted) {
          if (view.isLeaf(c)) leaves++;
          w.line(`${c}${view.isLeaf(c) ? '  [leaf]' : ''}`);
          for (const n of view.nests(c).sort(byTo)) {
            const l = last(n.evidence);
            w.line(`  -> ${n.cls}  (${rel(l.file)}:${l.span[0] + 1}: ${l.note})`);
            edges++;
          }
        }
        w.line(`${sorted.length} lock classes, ${edges} edges, ${leaves} leaves`);
      }
    } finally {
      w.close();
    }
    return 0;
  } finally {
    await engine.close();
  }
}

/**
 * The steps of `locks --format json` (version 2): `steps` is one [file, line, column, end line,
 * end column, note] row per distinct step (0-based positions, `file` and `note` index `files`
 * and `notes`); an edge's `evidence` lists row numbers.
 */
class StepTable {
  private rows: number[][] = [];
  private byKey = new Map<string, number>();
  private files: string[] = [];
  private fileIdx = new Map<string, number>();
  private notes: string[] = [];
  private noteIdx = new Map<string, number>();

  id(st: Step): number {
    const k = `${st.file}\0${st.span.join(',')}\0${st.note}`;
    let i = this.byKey.get(k);
    if (i === undefined) {
      this.byKey.set(k, (i = this.rows.push([intern(this.fileIdx, this.files, st.file), ...st.span, intern(this.noteIdx, this.notes, st.note)]) - 1));
    }
    return i;
  }

  json(): string {
    return `"files":${JSON.stringify(this.files)},"notes":${JSON.stringify(this.notes)},"steps":${JSON.stringify(this.rows)}`;
  }
}

function intern(idx: Map<string, number>, arr: string[], x: string): number {
  let i = idx.get(x);
  if (i === undefined) idx.set(x, (i = arr.push(x) - 1));
  return i;
}

/** Buffered line writer to a file or stdout, flushed in 1 MB pieces. */
class ChunkWriter {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(file?: string) {
    this.fd = file ? fs.openSync(file, 'w') : 1;
  }
  line(s: string): void {
    this.buf.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }
  private flush(): void {
    if (!this.buf.length) return;
    const data = this.buf.join('');
    this.buf = [];
    this.size = 0;
    let off = 0;
    const b = Buffer.from(data);
    while (off < b.length) {
      try {
        off += fs.writeSync(this.fd, b, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
    }
  }
  close(): void {
    this.flush();
    if (this.fd !== 1) fs.closeSync(this.fd);
  }
}

/** For bench/: one machine-readable line on stderr when SLABCHECK_BENCH_STATS is set. */
function benchStats(engine: Engine): void {
  if (!process.env.SLABCHECK_BENCH_STATS) return;
  const s = engine.project.stats;
  process.stderr.write(`slabcheck-bench: ${JSON.stringify({ maxRssKB: process.resourceUsage().maxRSS, files: engine.project.files.length, ...s, ...engine.timings })}\n`);
}

function cmdRules(): number {
  for (const r of RULES) {
    process.stdout.write(`${r.meta.id} (${r.meta.defaultSeverity}${r.meta.semantics !== 'any' ? `, ${r.meta.semantics} only` : ''}): ${r.meta.description}\n\n${r.meta.explanation.split('\n').map((l) => `    ${l}`).join('\n')}\n\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const cmd = argv[0];
    if (cmd === 'help' && argv[1]) {
      const h = commandHelp(argv[1]);
      if (!h) throw new UsageError(`no help for '${argv[1]}': not a command`);
      process.stdout.write(`${h}\n`);
      return 0;
    }
    if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return cmd ? 0 : 2;
    }
    if (cmd !== 'simulate' && (argv.includes('-h') || argv.includes('--help'))) {
      const h = commandHelp(cmd);
      if (!h) throw new UsageError(`unknown command '${cmd}'`);
      process.stdout.write(`${h}\n`);
      return 0;
    }
    if (cmd === '--version') {
      await initParser();
      process.stdout.write(`slabcheck ${VERSION}\nparser: ${parserInfo()}\n`);
      return 0;
    }
    if (cmd === 'simulate') {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const sim = require(path.join(__dirname, '../../../simulator/src/cli')) as { simulateCommand(a: string[]): Promise<number> };
      return await sim.simulateCommand(argv.slice(1));
    }
    if (cmd === 'lsp') {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const lsp = require(path.join(__dirname, '../lsp/server')) as { startServer(): void };
      lsp.startServer();
      return -1; // keeps running
    }
    if (cmd === 'rules') return cmdRules();
    if (cmd === 'kb') {
      if (argv[1] !== 'verify') throw new UsageError(`kb: the subcommand is 'verify', got '${argv[1] ?? ''}'`);
      const a = parseArgs(argv.slice(1));
      await initParser();
      return await cmdKbVerify(a);
    }
    const a = parseArgs(argv);
    // Every command below parses C; the wasm backend loads asynchronously, once.
    await initParser();
    switch (cmd) {
      case 'check': return await cmdCheck(a);
      case 'caches': return await cmdCaches(a);
      case 'contexts': return await cmdContexts(a);
      case 'locks': return await cmdLocks(a);
      default: throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`slabcheck: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ParserLoadError) {
      process.stderr.write(`slabcheck: ${e.message}\n`);
      return 3;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`slabcheck: bad configuration: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`slabcheck: internal error: ${(e as Error).stack ?? e}\n`);
    return 3;
  }
}

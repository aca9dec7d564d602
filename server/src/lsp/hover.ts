/**
 * Hover cards: a cache creation (what the cache is and what its ctor/dtor
 * do), a ctor/dtor name (its cache, locks, allocations, may-sleep), a lock
 * acquisition (class, kind, irq mode, leaf or not with the nesting site, IRQ
 * safety), and on a finding the rule's explanation.
 */
import * as path from 'path';
import type { Hover, Position } from 'vscode-languageserver/node';
import type { Engine } from '../engine/engine';
import { cacheModel, fnModel } from '../engine/models';
import { CANDIDATE_RULE, conversionFigures } from './conversion';
import type { CacheCreation, FileFacts, FnEvent, FunctionFacts, Span } from '../facts/types';
import { CacheInfo, FnRef, FS_RECLAIM, Step } from '../index/analysis';
import { SLEEPING_KINDS, SPINNING_KINDS } from '../kb/locks';
import { ruleById } from '../rules';
import type { ShrinkerInfo } from '../contexts/registry';
import { shrinkerLabel } from '../contexts/registry';
import type { Finding } from '../rules/types';
import { lineStarts, spanContains, spanToRange, UriMap, wordAt } from './paths';

export interface HoverContext {
  engine: Engine;
  caches: CacheInfo[];
  /** Shrinkers of the last check: a callback's hover says where it runs. */
  shrinkers?: ShrinkerInfo[];
  findings: Finding[];
  uris: UriMap;
}

const md = (s: string) => s.replace(/([\\`*_{}[\]<>|])/g, '\\$1');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function where(ctx: HoverContext, file: string, s: Span): string {
  return `[${path.basename(file)}:${s[0] + 1}](${ctx.uris.uri(file)}#L${s[0] + 1})`;
}

function stepLine(ctx: HoverContext, st: Step): string {
  return `${where(ctx, st.file, st.span)} ${md(st.note)}`;
}

function sameFn(a: FnRef | undefined, file: string, fn: FunctionFacts): boolean {
  return !!a && a.file === file && a.fn.name === fn.name && a.fn.at[0] === fn.at[0];
}

function cacheLabel(c: CacheInfo): string {
  return code(c.creation.name);
}

function findingsList(list: Finding[]): string {
  return list.map((f) => `- **${f.severity}** ${code(f.rule)}: ${md(f.message)}`).join('\n');
}

function describeRef(ctx: HoverContext, kind: 'ctor' | 'dtor', c: CacheInfo): string {
  const ref = kind === 'ctor' ? c.creation.ctor : c.creation.dtor;
  const resolved = kind === 'ctor' ? c.ctor : c.dtor;
  if (ref.kind === 'none') return `- **${kind}**: none`;
  if (ref.kind === 'indirect') return `- **${kind}**: indirect ${code(ref.expr)} (${md(ref.why)})`;
  if (!resolved) return `- **${kind}**: ${code(ref.name)} (definition not found in the workspace)`;
  const m = fnModel(ctx.engine.analysis, resolved);
  return `- **${kind}**: ${code(resolved.fn.name)} at ${where(ctx, resolved.file, resolved.fn.nameAt)}: ${md(m.summary)}`;
}

/** The card for a cache creation. */
export function cacheCard(ctx: HoverContext, c: CacheInfo): string {
  const cr = c.creation;
  const flags = cr.flags.split('|').map((f) => f.replace(/[()\s]/g, '')).filter((f) => f && f !== '0');
  const lines = [
    `### slab cache ${cacheLabel(c)}`,
    `${code(cr.api)}${cr.form === 'args' ? ' with `struct kmem_cache_args`' : cr.form === 'legacy5' ? ' (legacy 5-argument form)' : cr.form === 'macro' ? ' (macro)' : ''}${cr.assignedTo ? `, stored in ${code(cr.assignedTo)}` : ''}${cr.inFunction ? `, created in ${code(cr.inFunction)}` : ''}`,
    '',
    `- **object size**: ${code(cr.size)}`,
    cr.align ? `- **align**: ${code(cr.align)}` : '',
    `- **flags**: ${flags.length ? flags.map(code).join(', ') : 'none'}`,
    describeRef(ctx, 'ctor', c),
    describeRef(ctx, 'dtor', c),
  ].filter((l) => l !== '');
  const fs_ = ctx.findings.filter((f) => f.cache === cr.name);
  if (fs_.length) lines.push('', `**${fs_.length} finding${fs_.length > 1 ? 's' : ''}**`, findingsList(fs_));
  else lines.push('', 'No findings.');
  return lines.join('\n');
}

/** The card for a ctor or dtor function. */
export function functionCard(ctx: HoverContext, ref: FnRef, roles: { cache: CacheInfo; role: 'ctor' | 'dtor' }[]): string {
  const a = ctx.engine.analysis;
  const s = a.summary(ref);
  const lines: string[] = [];
  const roleText = roles.map((r) => `${r.role === 'ctor' ? 'constructor' : 'destructor'} of cache ${cacheLabel(r.cache)} (${where(ctx, r.cache.file, r.cache.creation.at)})`).join('; ');
  lines.push(`### ${code(`${ref.fn.name}()`)}`, roleText, '');
  const locks = [...s.acquires.values()];
  if (locks.length) {
    lines.push('**Locks**');
    for (const l of locks) {
      const via = l.chain.length > 1 ? ` via ${l.chain.slice(0, -1).map((st) => md(st.note.replace(/^.*calls /, '').replace(/\(\)$/, '()'))).join(' → ')}` : '';
      const last = l.chain[l.chain.length - 1];
      lines.push(`- ${code(l.cls)} (${l.kind}${l.irqOff ? ', interrupts off' : l.irq === 'bh' ? ', bottom halves off' : ', interrupts on'}${l.trylock ? ', trylock' : ''})${via} — ${where(ctx, last.file, last.span)}`);
    }
  } else lines.push('**Locks**: none');
  if (s.allocs.length) {
    lines.push('**Allocations**');
    for (const al of s.allocs.slice(0, 12)) {
      const last = al.chain[al.chain.length - 1];
      const gfp = al.gfpClass === 'caller' ? ' with the gfp it is given' : al.gfpBound ? ` with ${code(al.gfpBound)} passed down` : '';
      lines.push(`- ${code(`${al.fn}(${al.gfp ?? ''})`)}${gfp}${al.percpu ? ' percpu' : ''}${al.assignedTo ? ` → ${code(al.assignedTo)}` : ''}${al.checked ? '' : ' (result not checked)'} — ${where(ctx, last.file, last.span)}`);
    }
  } else lines.push('**Allocations**: none');
  if (s.frees.length) lines.push(`**Frees**: ${[...new Set(s.frees.map((f) => code(`${f.fn}()`)))].join(', ')}`);
  if (s.maySleep) {
    const last = s.maySleep[s.maySleep.length - 1];
    lines.push(`**May sleep**: yes — ${stepLine(ctx, last)}`);
  } else lines.push('**May sleep**: no');
  if (s.unresolved.size) lines.push(`*Not followed (no definition found):* ${[...s.unresolved].slice(0, 8).map((n) => code(n)).join(', ')}`);
  const inFn = ctx.findings.filter((f) => f.file === ref.file && f.span[0] >= ref.fn.at[0] && f.span[0] <= ref.fn.at[2]);
  if (inFn.length) lines.push('', `**${inFn.length} finding${inFn.length > 1 ? 's' : ''}**`, findingsList(inFn));
  return lines.join('\n');
}

/** The card for a lock acquisition. */
export async function lockCard(ctx: HoverContext, file: string, fn: FunctionFacts, e: Extract<FnEvent, { k: 'lock' }>, callText: string): Promise<string> {
  const a = ctx.engine.analysis;
  const cls = a.classOf(file, fn, fn.locks[e.lock]);
  const irqOff = e.irqOff || e.irq === 'irq' || e.irq === 'irqsave';
  const lines = [`### lock ${code(cls)}`, `${code(callText)}: kind **${e.kind}**, irq mode **${e.irq}**${e.trylock ? ', trylock' : ''}${e.read ? ', shared (reader)' : ''}`, ''];
  // Leaf or not, and why.
  const { edges, known, searched } = await a.edgesFrom(cls);
  if (searched) lines.push(`_(provisional: searched the ${searched.files} most likely of ${searched.of} files that mention it)_`, '');
  if (known?.saidInDiscussion) lines.push(`- **said in the discussion**: ${md(known.saidInDiscussion)}; what the code shows follows`);
  // The code decides; the knowledge base speaks only where the code holding the lock is not here.
  const codeEdges = edges.filter((ed) => ed.to !== cls);
  if (known?.declared && known.leaf) lines.push(`- **leaf**: yes (declared in .slabcheck.json${known.why ? `: ${md(known.why)}` : ''})`);
  else if (!codeEdges.length && known?.nonLeafBecause) lines.push(`- **leaf**: no — ${md(known.nonLeafBecause)} (knowledge base)`);
  else if (!codeEdges.length && known && !known.declared) lines.push('- **leaf**: unknown — taken inside kernel functions whose code is not in the workspace (knowledge base)');
  else {
    const byTo = new Map<string, typeof edges[number]>();
    for (const ed of edges) if (!byTo.has(ed.to)) byTo.set(ed.to, ed);
    // Prefer evidence in the user's code over knowledge-base locks (as dtor-non-leaf-lock does).
    const locks = [...byTo.values()].filter((ed) => ed.to !== FS_RECLAIM).sort((x, y) => Number(a.lockFacts.has(x.to)) - Number(a.lockFacts.has(y.to)));
    const reclaim = byTo.get(FS_RECLAIM);
    if (!locks.length && !reclaim) lines.push('- **leaf**: yes — no other lock is taken while it is held in the analysed code');
    else {
      if (locks.length) {
        const ed = locks[0];
        const holds = ed.chain[0];
        const nests = ed.chain[ed.chain.length - 1];
        lines.push(`- **leaf**: no — ${code(ed.to)} is taken while it is held${locks.length > 1 ? ` (and ${locks.length - 1} more: ${locks.slice(1, 5).map((x) => code(x.to)).join(', ')})` : ''}`);
        lines.push(`  - held at ${stepLine(ctx, holds)}`);
        if (nests !== holds) lines.push(`  - nesting site: ${stepLine(ctx, nests)}`);
      } else lines.push('- **leaf**: yes for locks (no other lock is taken under it)');
      if (reclaim) {
        const st = reclaim.chain[reclaim.chain.length - 1];
        lines.push(`- **reclaim**: an allocation that may enter reclaim happens while it is held: ${stepLine(ctx, st)}`);
      }
    }
  }
  // IRQ safety.
  const dtorOf = ctx.caches.filter((c) => sameFn(c.dtor, file, fn));
  const onDtorPath = ctx.caches.filter((c) => c.dtor && !sameFn(c.dtor, file, fn) && a.summary(c.dtor).acquires.get(cls)?.chain.some((st) => st.file === file && st.span[0] >= fn.at[0] && st.span[0] <= fn.at[2]));
  if (SLEEPING_KINDS.has(e.kind)) {
    lines.push(`- **IRQ safety**: a sleeping lock: never in interrupt or atomic context${dtorOf.length || onDtorPath.length ? '; a slab destructor must not take it' : ''}`);
  } else if (SPINNING_KINDS.has(e.kind)) {
    if (irqOff) lines.push(`- **IRQ safety**: interrupts are disabled while it is held${e.irq === 'irqsave' ? ' (irqsave)' : e.irq === 'irq' ? ' (irq)' : ' (by an outer irqsave/irq-off section)'}: safe against users in interrupt context`);
    else {
      lines.push(`- **IRQ safety**: taken with interrupts ${e.irq === 'bh' ? 'enabled (only bottom halves disabled)' : 'enabled'}: if it is ever taken from an interrupt while held here, the CPU deadlocks on itself`);
    }
  }
  for (const c of dtorOf) lines.push(`- This function is the **destructor** of cache ${cacheLabel(c)}: it may run in any context that frees a slab (interrupt, softirq, RCU callback, reclaim), so it should take only leaf spinlocks with interrupts disabled.`);
  for (const c of onDtorPath) lines.push(`- Taken on the **destructor path** of cache ${cacheLabel(c)} (${code(`${c.dtor!.fn.name}()`)}).`);
  return lines.join('\n');
}

function explanationCard(ctx: HoverContext, list: Finding[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of list) {
    out.push(`**slabcheck ${code(f.rule)}** (${f.severity}): ${md(f.message)}`);
    // A candidate's predicted gain: the figures of its code lens, from the same function.
    const figures = f.rule === CANDIDATE_RULE ? candidateFigures(ctx, f) : undefined;
    if (figures) out.push('', figures, '');
    if (seen.has(f.rule)) continue;
    seen.add(f.rule);
    const r = ruleById(f.rule);
    if (r) out.push('', r.meta.explanation, '');
  }
  return out.join('\n');
}

function candidateFigures(ctx: HoverContext, f: Finding): string | undefined {
  const info = ctx.caches.find((c) => c.file === f.file && c.creation.at[0] === f.span[0] && c.creation.at[1] === f.span[1]);
  if (!info) return undefined;
  try {
    return conversionFigures(cacheModel(ctx.engine.analysis, info), f, ctx.engine.analysis).hover;
  } catch {
    return undefined;
  }
}

export async function hover(ctx: HoverContext, file: string, facts: FileFacts, text: string, pos: Position): Promise<Hover | null> {
  const starts = lineStarts(text);
  const word = wordAt(text, starts, pos);
  const sections: string[] = [];
  let range: Span | undefined;
  const fn = facts.functions.filter((f) => spanContains(f.at, pos)).sort((x, y) => y.at[0] - x.at[0])[0];

  // 1. A ctor/dtor name: at its definition, in a creation, anywhere it is written.
  if (word) {
    const roles: { cache: CacheInfo; role: 'ctor' | 'dtor' }[] = [];
    let ref: FnRef | undefined;
    for (const c of ctx.caches) {
      if (c.ctor && c.ctor.fn.name === word.word) {
        roles.push({ cache: c, role: 'ctor' });
        ref = ref ?? c.ctor;
      }
      if (c.dtor && c.dtor.fn.name === word.word) {
        roles.push({ cache: c, role: 'dtor' });
        ref = ref ?? c.dtor;
      }
    }
    // Prefer the definition in this file when names collide (static functions).
    const local = roles.map((r) => (r.role === 'ctor' ? r.cache.ctor! : r.cache.dtor!)).find((r) => r.file === file);
    if (ref) {
      sections.push(functionCard(ctx, local ?? ref, roles));
      range = word.span;
    }
  }

  // 1b. A shrinker callback: where it runs (its definition, or the assignment that registers it).
  if (word && ctx.shrinkers) {
    const runs: string[] = [];
    let ref: FnRef | undefined;
    for (const s of ctx.shrinkers) for (const c of s.callbacks) {
      const named = c.binding.fn === word.word && (c.fn ? c.fn.file === file || s.file === file : s.file === file);
      if (!named) continue;
      ref = ref ?? c.fn;
      runs.push(`**Runs in reclaim**: ${code(c.role)} of ${md(shrinkerLabel(s))}, registered at ${where(ctx, s.anchor.file, s.anchor.span)} (${md(s.anchor.what)}). ${md(c.context.title)}: may sleep ${c.context.maySleep ? 'yes' : 'no'}; safe gfp: ${md(c.context.safeGfp)}${c.unresolved ? `. **Not read**: ${md(c.unresolved)}` : ''}`);
    }
    if (runs.length) {
      // A ctor's card already shows the summary; otherwise the callback's own card follows.
      const card = ref && !sections.length ? functionCard(ctx, ref, []) : undefined;
      sections.push([...runs, ...(card ? [card] : [])].join('\n\n'));
      range = range ?? word.span;
    }
  }

  // 2. A lock acquisition call.
  if (!sections.length && fn) {
    const e = fn.events.find((x): x is Extract<FnEvent, { k: 'lock' }> => x.k === 'lock' && spanContains(x.at, pos));
    if (e) {
      const s = offsetOfSpan(starts, text, e.at);
      sections.push(await lockCard(ctx, file, fn, e, text.slice(s[0], s[1]).replace(/\s+/g, ' ')));
      range = e.at;
    }
  }

  // 3. A cache creation (the call, or its kmem_cache_args initialiser).
  if (!sections.length) {
    const cr = facts.caches.find((c) => spanContains(c.at, pos) || (c.argsAt && spanContains(c.argsAt, pos)));
    if (cr) {
      const info = ctx.caches.find((c) => c.file === file && sameCreation(c.creation, cr));
      if (info) {
        sections.push(cacheCard(ctx, info));
        range = spanContains(cr.at, pos) ? cr.at : cr.argsAt;
      }
    }
  }

  // 4. The explanation of every finding under the cursor.
  const here = ctx.findings.filter((f) => f.file === file && spanContains(f.span, pos));
  if (here.length) {
    sections.push(explanationCard(ctx, here));
    range = range ?? here[0].span;
  }
  if (!sections.length) return null;
  return { contents: { kind: 'markdown', value: sections.join('\n\n---\n\n') }, range: range ? spanToRange(range) : undefined };
}

export function sameCreation(a: CacheCreation, b: CacheCreation): boolean {
  return a.at[0] === b.at[0] && a.at[1] === b.at[1] && a.name === b.name;
}

function offsetOfSpan(starts: number[], text: string, s: Span): [number, number] {
  const o = (l: number, c: number) => (l < starts.length ? Math.min(text.length, starts[l] + c) : text.length);
  return [o(s[0], s[1]), o(s[2], s[3])];
}

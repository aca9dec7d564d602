/**
 * Code actions, all as WorkspaceEdits:
 *  - dtor-irq-unsafe-lock, lock taken directly in the dtor: spin_lock(&x) ->
 *    spin_lock_irqsave(&x, flags) (and every matching unlock in that
 *    function), plus `unsigned long flags;` at the top of the body;
 *  - semantics-mismatch: write `"semantics": "dtor-rfc"` into .slabcheck.json;
 *  - "Ignore this finding here": a `/* slabcheck: ignore <rule> *\/` line above;
 *  - "Generate dtor from ctor": a dtor that releases, in reverse order, what
 *    the ctor acquires, wired into the cache's kmem_cache_args (a legacy
 *    5-argument call is converted to the args form).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CodeAction, CodeActionKind, CodeActionParams, CreateFile, Diagnostic, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import type { Engine } from '../engine/engine';
import type { FileFacts, FnEvent, FunctionFacts, Span } from '../facts/types';
import type { CacheInfo, FnRef } from '../index/analysis';
import { ALLOCATORS } from '../kb/allocators';
import type { Finding } from '../rules/types';
import { FindingData, findingToDiagnostic, isFindingData, SOURCE } from './diagnostics';
import { sameCreation } from './hover';
import { lineStarts, offsetAt, positionAt, rangeToSpan, spanContains, spansOverlap, spanToRange, UriMap, wordAt } from './paths';

export interface ActionContext {
  engine: Engine;
  caches: CacheInfo[];
  findings: Finding[];
  uris: UriMap;
  /** Current text of a file: the open buffer, else the disk. */
  textOf(file: string): string | undefined;
}

export const IGNORE_TITLE = 'Ignore this finding here (slabcheck)';
export const GENERATE_DTOR_TITLE = 'Generate dtor from ctor';

/** Lock calls and the irq-safe call that replaces them. */
const IRQSAVE: Record<string, string> = {
  spin_lock: 'spin_lock_irqsave', spin_lock_bh: 'spin_lock_irqsave',
  raw_spin_lock: 'raw_spin_lock_irqsave', raw_spin_lock_bh: 'raw_spin_lock_irqsave',
  read_lock: 'read_lock_irqsave', read_lock_bh: 'read_lock_irqsave',
  write_lock: 'write_lock_irqsave', write_lock_bh: 'write_lock_irqsave',
};
const IRQRESTORE: Record<string, string> = {
  spin_unlock: 'spin_unlock_irqrestore', spin_unlock_bh: 'spin_unlock_irqrestore',
  raw_spin_unlock: 'raw_spin_unlock_irqrestore', raw_spin_unlock_bh: 'raw_spin_unlock_irqrestore',
  read_unlock: 'read_unlock_irqrestore', read_unlock_bh: 'read_unlock_irqrestore',
  write_unlock: 'write_unlock_irqrestore', write_unlock_bh: 'write_unlock_irqrestore',
};

class Text {
  readonly starts: number[];
  constructor(readonly text: string) {
    this.starts = lineStarts(text);
  }
  off(line: number, col: number): number {
    return offsetAt(this.starts, this.text, line, col);
  }
  slice(s: Span): string {
    return this.text.slice(this.off(s[0], s[1]), this.off(s[2], s[3]));
  }
  line(n: number): string {
    const s = this.starts[n] ?? this.text.length;
    const e = this.starts[n + 1] !== undefined ? this.starts[n + 1] - 1 : this.text.length;
    return this.text.slice(s, e).replace(/\r$/, '');
  }
  pos(off: number) {
    return positionAt(this.starts, off);
  }
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** Split `a, f(b, c), "d,e"` at top-level commas (strings, chars, comments and brackets respected). */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
      cur += s.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const j = s.indexOf('*/', i + 2);
      const end = j < 0 ? s.length : j + 2;
      cur += s.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() || out.length) out.push(cur.trim());
  return out;
}

function edit(uri: string, t: Text, startOff: number, endOff: number, newText: string): { uri: string; edit: TextEdit } {
  return { uri, edit: { range: { start: t.pos(startOff), end: t.pos(endOff) }, newText } };
}

function toWorkspaceEdit(list: { uri: string; edit: TextEdit }[]): WorkspaceEdit {
  const changes: Record<string, TextEdit[]> = {};
  for (const e of list) (changes[e.uri] ??= []).push(e.edit);
  return { changes };
}

// ---- (1) irqsave quick fix ----

/** Offset of the `{` opening a function's body. */
function bodyOpen(t: Text, fn: FunctionFacts): number {
  return t.text.indexOf('{', t.off(fn.nameAt[2], fn.nameAt[3]));
}

export function irqsaveFix(uri: string, t: Text, fn: FunctionFacts, lockEvent: Extract<FnEvent, { k: 'lock' }>, diag?: Diagnostic): CodeAction | undefined {
  const open = bodyOpen(t, fn);
  const bodyEnd = t.off(fn.at[2], fn.at[3]);
  if (open < 0 || open > bodyEnd) return undefined;
  const body = t.text.slice(open, bodyEnd);
  const hasFlagsDecl = /\bunsigned\s+long\s+flags\s*[;,=]/.test(body);
  const flags = hasFlagsDecl || !/\bflags\b/.test(body) ? 'flags' : 'irqflags';
  const needDecl = !new RegExp(`\\bunsigned\\s+long\\s+${flags}\\s*[;,=]`).test(body);
  const edits: { uri: string; edit: TextEdit }[] = [];
  let first = '';
  for (const e of fn.events) {
    if ((e.k !== 'lock' && e.k !== 'unlock') || e.lock !== lockEvent.lock) continue;
    const table = e.k === 'lock' ? IRQSAVE : IRQRESTORE;
    const repl = table[e.fn];
    if (!repl) continue;
    const s = t.off(e.at[0], e.at[1]);
    const end = t.off(e.at[2], e.at[3]);
    const call = t.text.slice(s, end);
    const m = /^([A-Za-z_]\w*)(\s*)\(([\s\S]*)\)$/.exec(call);
    if (!m || m[1] !== e.fn) continue;
    const args = m[3].trim();
    edits.push(edit(uri, t, s, end, `${repl}${m[2]}(${args}, ${flags})`));
    if (e.k === 'lock' && !first) first = `${e.fn}() -> ${repl}()`;
  }
  if (!edits.length) return undefined;
  if (needDecl) {
    // `unsigned long flags;` as the first line of the body, with the body's indentation.
    const nl = t.text.indexOf('\n', open);
    if (nl >= 0 && nl < bodyEnd && /^\s*$/.test(t.text.slice(open + 1, nl))) {
      const next = t.pos(nl + 1).line;
      let indent = '\t';
      for (let l = next; l <= fn.at[2]; l++) {
        const line = t.line(l);
        if (line.trim()) {
          indent = indentOf(line) || '\t';
          break;
        }
      }
      edits.unshift(edit(uri, t, nl + 1, nl + 1, `${indent}unsigned long ${flags};\n`));
    } else edits.unshift(edit(uri, t, open + 1, open + 1, ` unsigned long ${flags};`));
  }
  const unlocks = fn.events.filter((e) => e.k === 'unlock' && e.lock === lockEvent.lock && IRQRESTORE[e.fn]).length;
  return {
    title: `Disable interrupts while holding the lock: ${first || 'irqsave'}${unlocks ? ` (and ${unlocks} unlock${unlocks > 1 ? 's' : ''})` : ''}`,
    kind: CodeActionKind.QuickFix,
    isPreferred: true,
    diagnostics: diag ? [diag] : undefined,
    edit: toWorkspaceEdit(edits),
  };
}

// ---- (2) semantics: write "dtor-rfc" into the root's .slabcheck.json ----

export const SEMANTICS_FIX_TITLE = 'Check destructors: set "semantics": "dtor-rfc" in .slabcheck.json';

export function semanticsFix(ctx: ActionContext, diag?: Diagnostic): CodeAction {
  const file = path.join(ctx.engine.project.opts.roots[0] ?? '.', '.slabcheck.json');
  const uri = ctx.uris.uri(file);
  const text = ctx.textOf(file);
  let edit: WorkspaceEdit;
  if (text === undefined) {
    const create: CreateFile = { kind: 'create', uri, options: { ignoreIfExists: true } };
    const body: TextDocumentEdit = {
      textDocument: { uri, version: null },
      edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '{\n  "semantics": "dtor-rfc"\n}\n' }],
    };
    edit = { documentChanges: [create, body] };
  } else {
    const t = new Text(text);
    const m = /"semantics"\s*:\s*"[^"]*"/.exec(text);
    const brace = text.indexOf('{');
    const e = m
      ? { range: { start: t.pos(m.index), end: t.pos(m.index + m[0].length) }, newText: '"semantics": "dtor-rfc"' }
      : { range: { start: t.pos(brace + 1), end: t.pos(brace + 1) }, newText: `\n  "semantics": "dtor-rfc"${/^\s*\}/.test(text.slice(brace + 1)) ? '' : ','}` };
    edit = { changes: { [uri]: [e] } };
  }
  return { title: SEMANTICS_FIX_TITLE, kind: CodeActionKind.QuickFix, isPreferred: true, diagnostics: diag ? [diag] : undefined, edit };
}

// ---- (3) ignore comment ----

export function ignoreAction(uri: string, t: Text, line: number, rule: string, title: string, diag?: Diagnostic): CodeAction {
  const prev = line > 0 ? t.line(line - 1) : '';
  const m = /^([ \t]*)\/\*\s*slabcheck:\s*ignore(?!-)\b([^*]*)\*\/\s*$/.exec(prev);
  let e: { uri: string; edit: TextEdit };
  if (m) {
    // Extend the directive above: a second comment line would cover the first, not the code.
    const rules = m[2].split(/[\s,]+/).filter(Boolean);
    if (!rules.includes(rule)) rules.push(rule);
    const s = t.starts[line - 1];
    e = edit(uri, t, s, s + prev.length, `${m[1]}/* slabcheck: ignore ${rules.join(' ')} */`);
  } else {
    const indent = indentOf(t.line(line));
    const s = t.starts[line] ?? t.text.length;
    e = edit(uri, t, s, s, `${indent}/* slabcheck: ignore ${rule} */\n`);
  }
  return { title, kind: CodeActionKind.QuickFix, diagnostics: diag ? [diag] : undefined, edit: toWorkspaceEdit([e]) };
}

// ---- (4) generate a dtor from the ctor ----

function release(e: Extract<FnEvent, { k: 'alloc' }>, callText: string): string | undefined {
  const fact = ALLOCATORS[e.fn];
  const args = (() => {
    const m = /^[A-Za-z_]\w*\s*\(([\s\S]*)\)$/.exec(callText.trim());
    return m ? splitTopLevel(m[1]) : [];
  })();
  const x = e.assignedTo;
  if (e.fn === 'percpu_counter_init') return args[0] ? `percpu_counter_destroy(${args[0]});` : undefined;
  if (e.fn === 'percpu_counter_init_many') return args[0] && args[3] ? `percpu_counter_destroy_many(${args[0]}, ${args[3]});` : undefined;
  if (!x || /^(err|ret|rc|error)$/.test(x)) return undefined;
  if (!fact) return undefined;
  switch (fact.allocator) {
    case 'percpu':
      return `free_percpu(${x});`;
    case 'kmalloc':
      return `kfree(${x});`;
    case 'vmalloc':
      return /^kv/.test(e.fn) ? `kvfree(${x});` : `vfree(${x});`;
    case 'slab':
      return e.cache ? `kmem_cache_free(${e.cache}, ${x});` : undefined;
    case 'page':
      return /get_free_page$|get_zeroed_page/.test(e.fn) ? `free_page((unsigned long)${x});` : e.fn === 'alloc_page' ? `__free_page(${x});` : undefined;
    default:
      return undefined;
  }
}

export function dtorName(ctorName: string): string {
  const base = ctorName.replace(/_(ctor|constructor|init_once|init_one|init)$/, '');
  return `${base}_dtor`;
}

/** The dtor's text: obj-cast declarations copied from the ctor, then the releases in reverse order. */
export function generateDtorText(ctor: FnRef, ctorText: Text, name: string): string {
  const fn = ctor.fn;
  const param = fn.params[0]?.name ?? 'obj';
  const open = bodyOpen(ctorText, fn);
  const end = ctorText.off(fn.at[2], fn.at[3]);
  const body = ctorText.text.slice(open + 1, end);
  let indent = '\t';
  const firstLine = body.split('\n').find((l) => l.trim());
  if (firstLine) indent = indentOf(firstLine) || '\t';
  const decls: string[] = [];
  const declRe = new RegExp(`^[ \\t]*((?:const\\s+)?(?:struct\\s+)?[A-Za-z_]\\w*\\s*\\*\\s*[A-Za-z_]\\w*\\s*=\\s*(?:\\([^()]*\\)\\s*)?${param}\\s*;)`, 'gm');
  let m: RegExpExecArray | null;
  while ((m = declRe.exec(body)) !== null) decls.push(`${indent}${m[1]}`);
  const releases: string[] = [];
  const allocs = fn.events.filter((e): e is Extract<FnEvent, { k: 'alloc' }> => e.k === 'alloc');
  for (const e of [...allocs].reverse()) {
    const r = release(e, ctorText.slice(e.at));
    releases.push(`${indent}${r ?? `/* TODO: release what ${e.fn}() acquired at line ${e.at[0] + 1} */`}`);
  }
  if (!releases.length) releases.push(`${indent}/* ${fn.name}() acquires nothing this dtor needs to release */`);
  const lines = [`static void ${name}(void *${param})`, '{', ...decls, ...(decls.length ? [''] : []), ...releases, '}'];
  return lines.join('\n');
}

/** Edits that set `.dtor = name` in the cache's kmem_cache_args (converting a legacy call). */
export function wireDtorEdits(uri: string, t: Text, info: CacheInfo, name: string): { uri: string; edit: TextEdit }[] | undefined {
  const cr = info.creation;
  if (cr.form === 'args' && cr.argsAt) {
    const s = t.off(cr.argsAt[0], cr.argsAt[1]);
    const e = t.off(cr.argsAt[2], cr.argsAt[3]);
    const init = t.text.slice(s, e);
    const brace = init.indexOf('{');
    const close = init.lastIndexOf('}');
    if (brace < 0 || close < brace) return undefined;
    const ctorRe = /\.\s*ctor\s*=\s*[^,}\n]*/.exec(init);
    if (ctorRe) {
      const afterCtor = s + ctorRe.index + ctorRe[0].length;
      const lineEnd = t.text.indexOf('\n', afterCtor);
      const lineStart = t.text.lastIndexOf('\n', s + ctorRe.index) + 1;
      const ownLine = /^[ \t]*$/.test(t.text.slice(lineStart, s + ctorRe.index)) && lineEnd >= 0 && lineEnd < e;
      const hasComma = t.text[afterCtor] === ',' || /^\s*,/.test(t.text.slice(afterCtor, afterCtor + 8));
      if (ownLine) {
        const indent = indentOf(t.text.slice(lineStart, afterCtor));
        const out = [] as { uri: string; edit: TextEdit }[];
        if (!hasComma) out.push(edit(uri, t, afterCtor, afterCtor, ','));
        out.push(edit(uri, t, lineEnd, lineEnd, `\n${indent}.dtor = ${name},`));
        return out;
      }
      return [edit(uri, t, afterCtor, afterCtor, `${hasComma ? '' : ','} .dtor = ${name}${hasComma ? ',' : ''}`)];
    }
    // No .ctor entry in the initialiser (set by assignment later): add .dtor before the closing brace.
    const closeOff = s + close;
    const lineStart = t.text.lastIndexOf('\n', closeOff) + 1;
    const before = t.text.slice(lineStart, closeOff);
    if (/^[ \t]*$/.test(before)) return [edit(uri, t, lineStart, lineStart, `${before}\t.dtor = ${name},\n`)];
    return [edit(uri, t, closeOff, closeOff, ` .dtor = ${name} `)];
  }
  if (cr.form === 'legacy5') {
    const s = t.off(cr.at[0], cr.at[1]);
    const e = t.off(cr.at[2], cr.at[3]);
    const call = t.text.slice(s, e);
    const open = call.indexOf('(');
    if (open < 0 || !call.endsWith(')')) return undefined;
    const args = splitTopLevel(call.slice(open + 1, -1));
    if (args.length !== 5) return undefined;
    const [nm, size, align, flags, ctor] = args;
    const indent = indentOf(t.line(cr.at[0]));
    const i1 = `${indent}\t`;
    const i2 = `${indent}\t\t`;
    const fields = [
      ...(/^\s*0\s*$/.test(align) ? [] : [`${i2}.align = ${align},`]),
      ...(/^\s*(NULL|0)\s*$/.test(ctor) ? [] : [`${i2}.ctor = ${ctor},`]),
      `${i2}.dtor = ${name},`,
    ];
    const text = `kmem_cache_create(${nm}, ${size},\n${i1}&(struct kmem_cache_args){\n${fields.join('\n')}\n${i1}}, ${flags})`;
    return [edit(uri, t, s, e, text)];
  }
  return undefined;
}

export function generateDtorAction(ctx: ActionContext, info: CacheInfo, diag?: Diagnostic): CodeAction | undefined {
  const ctor = info.ctor;
  if (!ctor || info.dtor || info.creation.dtor.kind !== 'none') return undefined;
  if (info.creation.form !== 'legacy5' && !(info.creation.form === 'args' && info.creation.argsAt)) return undefined;
  const ctorSrc = ctx.textOf(ctor.file);
  const cacheSrc = info.file === ctor.file ? ctorSrc : ctx.textOf(info.file);
  if (ctorSrc === undefined || cacheSrc === undefined) return undefined;
  const ct = new Text(ctorSrc);
  const kt = info.file === ctor.file ? ct : new Text(cacheSrc);
  const name = dtorName(ctor.fn.name);
  const facts = ctx.engine.project.facts.get(ctor.file);
  const exists = !!facts?.functions.some((f) => f.name === name);
  const ctorUri = ctx.uris.uri(ctor.file);
  const cacheUri = ctx.uris.uri(info.file);
  const edits: { uri: string; edit: TextEdit }[] = [];
  if (!exists) {
    const end = ct.off(ctor.fn.at[2], ctor.fn.at[3]);
    edits.push(edit(ctorUri, ct, end, end, `\n\n${generateDtorText(ctor, ct, name)}`));
  }
  const wire = wireDtorEdits(cacheUri, kt, info, name);
  if (!wire) return undefined;
  edits.push(...wire);
  return {
    title: exists ? `${GENERATE_DTOR_TITLE}: wire ${name}() into cache ${info.creation.name}` : `${GENERATE_DTOR_TITLE}: ${name}()`,
    kind: diag ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
    diagnostics: diag ? [diag] : undefined,
    edit: toWorkspaceEdit(edits),
  };
}

function findingFor(ctx: ActionContext, file: string, d: Diagnostic): FindingData | undefined {
  if (isFindingData(d.data)) return d.data;
  const span = rangeToSpan(d.range);
  const f = ctx.findings.find((x) => x.file === file && x.rule === d.code && x.span.join() === span.join());
  return f ? { kind: 'finding', rule: f.rule, file: f.file, span: f.span, cache: f.cache, direct: f.related.length === 0 } : undefined;
}

function wants(params: CodeActionParams, kind: string): boolean {
  const only = params.context.only;
  return !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
}

export function codeActions(ctx: ActionContext, params: CodeActionParams, file: string, facts: FileFacts, text: string): CodeAction[] {
  const uri = params.textDocument.uri;
  const t = new Text(text);
  const out: CodeAction[] = [];
  const range = rangeToSpan(params.range);
  const semantics = ctx.engine.config.semantics;
  // Diagnostics from the client, or the findings under the range when the client sent none.
  let diags = params.context.diagnostics.filter((d) => d.source === SOURCE && d.code !== 'file-skipped');
  if (!params.context.diagnostics.length) {
    diags = ctx.findings.filter((f) => f.file === file && spansOverlap(f.span, range)).map((f) => findingToDiagnostic(f, ctx.uris));
  }
  const generated = new Set<string>();
  for (const d of diags) {
    const data = findingFor(ctx, file, d);
    if (!data) continue;
    if (wants(params, CodeActionKind.QuickFix) && data.rule === 'dtor-irq-unsafe-lock' && data.direct) {
      const fn = facts.functions.filter((f) => spanContains(f.at, { line: data.span[0], character: data.span[1] })).sort((a, b) => b.at[0] - a.at[0])[0];
      const ev = fn?.events.find((e): e is Extract<FnEvent, { k: 'lock' }> => e.k === 'lock' && e.at.join() === data.span.join());
      if (fn && ev) {
        const a = irqsaveFix(uri, t, fn, ev, d);
        if (a) out.push(a);
      }
    }
    if (wants(params, CodeActionKind.QuickFix) && data.rule === 'semantics-mismatch') out.push(semanticsFix(ctx, d));
    // Fixes a rule computed with its finding (shrinker-reclaim-deadlock's trylock, shrinker-removed-api's rewrite).
    if (wants(params, CodeActionKind.QuickFix)) {
      const f = ctx.findings.find((x) => x.file === file && x.rule === data.rule && x.span.join() === data.span.join() && x.fixes?.length);
      for (const fix of f?.fixes ?? []) {
        out.push({
          title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true,
          edit: toWorkspaceEdit(fix.edits.map((e) => ({ uri: e.file === file ? uri : ctx.uris.uri(e.file), edit: { range: spanToRange(e.span), newText: e.newText } }))),
        });
      }
    }
    if (wants(params, CodeActionKind.QuickFix) && data.rule === 'ctor-dtor-pairing' && data.cache) {
      const info = ctx.caches.find((c) => c.creation.name === data.cache && c.ctor && !c.dtor);
      if (info && !generated.has(info.creation.name)) {
        const a = generateDtorAction(ctx, info, d);
        if (a) {
          out.push(a);
          generated.add(info.creation.name);
        }
      }
    }
  }
  if (wants(params, CodeActionKind.QuickFix)) {
    const many = diags.length > 1;
    for (const d of diags) {
      const data = findingFor(ctx, file, d);
      const rule = data?.rule ?? (typeof d.code === 'string' ? d.code : undefined);
      if (!rule) continue;
      out.push(ignoreAction(uri, t, d.range.start.line, rule, many ? `${IGNORE_TITLE}: ${rule}` : IGNORE_TITLE, d));
    }
  }
  // Authoring: on a ctor name or a cache creation, under the destructor-RFC semantics.
  if (semantics === 'dtor-rfc' && wants(params, CodeActionKind.RefactorRewrite)) {
    const pos = params.range.start;
    const word = wordAt(text, t.starts, pos);
    const candidates: CacheInfo[] = [];
    for (const cr of facts.caches) {
      if (spanContains(cr.at, pos) || (cr.argsAt && spanContains(cr.argsAt, pos))) {
        const info = ctx.caches.find((c) => c.file === file && sameCreation(c.creation, cr));
        if (info) candidates.push(info);
      }
    }
    if (word) for (const c of ctx.caches) if (c.ctor && c.ctor.fn.name === word.word && (c.ctor.file === file || c.file === file)) candidates.push(c);
    for (const info of candidates) {
      if (generated.has(info.creation.name)) continue;
      const a = generateDtorAction(ctx, info);
      if (a) {
        out.push(a);
        generated.add(info.creation.name);
      }
    }
  }
  return out;
}

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export { Text };

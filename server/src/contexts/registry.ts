/**
 * The context registry: every entry point of the workspace (a function that runs in a known
 * execution context, kb/contexts.ts) for the CLI, the rules and the editor alike.
 *
 *   facts (field bindings, registration calls, cache creations)
 *     -> entry points (this module: shrinkers grouped from their bindings and calls, ctors/dtors from caches)
 *     -> contexts (kb/contexts.ts CONTEXTS)
 *     -> constraints (contexts/constraints/*, run by the rules over summaries and the lock graph)
 *
 * Shrinkers are grouped per file by the object the fields are set on: `s = shrinker_alloc(..)`,
 * `s->scan_objects = f`, `shrinker_register(s)` are one shrinker `s`; `register_shrinker(&x->sh, ..)`
 * and `x->sh.count_objects = f` one shrinker `x->sh`; a static `struct shrinker x = { .count_objects = f }`
 * one shrinker `x`. In a demand-driven run the files are the pre-scan's `hasEntry` ones.
 */
import * as fs from 'fs';
import * as path from 'path';
import { disposeTree, parseC } from '../parse/parser';
import { makeSourceMap } from '../facts/extract';
import { findEntryFacts } from '../facts/entry-points';
import type { Analysis, CacheInfo, FnRef } from '../index/analysis';
import type { FieldBinding, RegistrationCall, Span } from '../facts/types';
import { CONTEXTS, ContextDef, ENTRY_PATTERNS, EntryPattern, SHRINKER_API, SHRINKER_CALLS } from '../kb/contexts';
import { trace } from '../engine/trace';

export interface Callback {
  role: string;
  context: ContextDef;
  binding: FieldBinding;
  /** The definition, when the value names a function defined in the workspace. */
  fn?: FnRef;
  /** Why it could not be read: an expression, or a name with no definition here. */
  unresolved?: string;
}

export interface ShrinkerInfo {
  /** Stable key: file and target. */
  key: string;
  file: string;
  /** The object the fields are set on (`s`, `sbi->s_shrink`, `my_shrinker`). */
  target: string;
  /** The name given at shrinker_alloc()/register_shrinker() ("ext4-es:%s"), without quotes. */
  name?: string;
  /** Which API registers it. */
  api: 'shrinker_alloc' | 'register_shrinker' | 'unknown';
  alloc?: RegistrationCall;
  register?: RegistrationCall;
  /** shrinker_free()/unregister_shrinker() calls on it in its file. */
  frees: RegistrationCall[];
  callbacks: Callback[];
  /** `s->private_data = obj`. */
  privateData?: FieldBinding;
  /** The static or global `struct shrinker x = {...}` that declares it (old API). */
  declaration?: FieldBinding;
  /** Where it is shown: the registration call, else the allocation, else the first binding. */
  anchor: { file: string; span: Span; what: string };
  /** The tree's headers define shrinker_alloc() (6.7+): the old API does not exist there. */
  newApiAvailable: boolean;
}

export interface EntryPoint {
  family: 'slab' | 'shrinker' | string;
  role: string;
  context: ContextDef;
  /** The function that runs there, when read. */
  fn?: FnRef;
  name: string;
  /** What it belongs to: "shrinker 'ext4-es'", "cache 'mm_struct'". */
  owner: string;
  registeredAt: { file: string; span: Span };
  unresolved?: string;
  /** The registration as written (`register_nmi_handler(NMI_LOCAL, f, 0, "x")`), for the atomic families. */
  via?: string;
  /** Further registrations of the same function in the same context. */
  alsoAt?: { file: string; span: Span }[];
}

const norm = (t: string) => t.replace(/\s+/g, '').replace(/^&/, '').replace(/^\((.*)\)$/, '$1');
const API_FUNCS = new Set<string>(SHRINKER_CALLS);
const REGISTERS = new Set<string>([...SHRINKER_API.register, ...SHRINKER_API.oldRegister]);
const FREES = new Set<string>([...SHRINKER_API.free, ...SHRINKER_API.oldUnregister]);
const ALLOCS = new Set<string>(SHRINKER_API.alloc);
const ROLE_OF = new Map(ENTRY_PATTERNS.flatMap((p) => (p.kind === 'field' && p.family === 'shrinker' ? [[p.field, p] as const] : [])));

function unquote(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(s.trim());
  return m ? m[1] : s;
}

/** Find every shrinker of the workspace, its callbacks resolved (and their callees read, demand-driven). */
export async function findShrinkers(a: Analysis): Promise<ShrinkerInfo[]> {
  const p = a.project;
  let files: string[];
  if (p.demandDriven) {
    files = p.files.filter((f) => p.prescan.get(f)?.hasEntry && !a.outsideKernel(f));
    await p.ensureFacts(files);
  } else files = [...p.facts.keys()].filter((f) => !a.outsideKernel(f));
  trace(`shrinker files read (${files.length})`);
  const newApi = await newApiAvailable(a);
  const out: ShrinkerInfo[] = [];
  for (const file of files.sort()) {
    const e = p.facts.get(file)?.entries;
    if (!e) continue;
    const groups = new Map<string, { fields: FieldBinding[]; calls: RegistrationCall[] }>();
    const group = (t: string) => {
      let g = groups.get(t);
      if (!g) groups.set(t, (g = { fields: [], calls: [] }));
      return g;
    };
    for (const b of e.fields) {
      if (ROLE_OF.has(b.field) || b.field === 'private_data') {
        // `.private_data = x` in some other struct's initialiser is not a shrinker's.
        if (b.field === 'private_data' && !groups.has(norm(b.target)) && b.form === 'initializer') continue;
        group(norm(b.target)).fields.push(b);
      }
    }
    for (const c of e.calls) {
      // The API's own implementation (6.1 register_shrinker() calls prealloc_shrinker()).
      if (c.inFunction && API_FUNCS.has(c.inFunction)) continue;
      const t = ALLOCS.has(c.api) ? (c.assignedTo ? norm(c.assignedTo) : undefined) : c.args[0] ? norm(c.args[0]) : undefined;
      if (t) group(t).calls.push(c);
    }
    for (const [target, g] of groups) {
      const callbacksBound = g.fields.filter((b) => ROLE_OF.has(b.field));
      const alloc = g.calls.find((c) => ALLOCS.has(c.api));
      const register = g.calls.find((c) => REGISTERS.has(c.api));
      // private_data alone, or only a free: not a shrinker this file sets up.
      if (!callbacksBound.length && !alloc && !register) continue;
      // Registered through a parameter (6.1 __register_shrinker(shrinker), nfs42xattr.c's init helper):
      // the shrinker is the caller's, found where its fields are set.
      if (!callbacksBound.length && !alloc && register?.inFunction && a.functionsIn(file).find((f) => f.name === register.inFunction)?.params.some((q) => q.name === target)) continue;
      const frees = g.calls.filter((c) => FREES.has(c.api));
      const api = alloc || (register && SHRINKER_API.register.includes(register.api as never)) ? 'shrinker_alloc' : register || g.fields.some((b) => b.form === 'initializer' || b.via === '.') ? 'register_shrinker' : 'unknown';
      const nameArg = alloc ? alloc.args[1] : register && api === 'register_shrinker' ? register.args[1] : undefined;
      const first = g.fields[0];
      const anchorCall = register ?? alloc;
      const s: ShrinkerInfo = {
        key: `${file}\0${target}`, file, target, name: unquote(nameArg), api, alloc, register, frees, callbacks: [],
        privateData: g.fields.find((b) => b.field === 'private_data'),
        declaration: g.fields.find((b) => b.form === 'initializer'),
        anchor: anchorCall ? { file, span: anchorCall.at, what: `${anchorCall.api}()` } : { file, span: first.declAt ?? first.at, what: first.form === 'initializer' ? 'initialiser' : 'field assignment' },
        newApiAvailable: newApi,
      };
      for (const b of callbacksBound) {
        const pat = ROLE_OF.get(b.field)!;
        s.callbacks.push({ role: pat.role, context: CONTEXTS[pat.context], binding: b });
      }
      out.push(s);
    }
    // A helper that sets a shrinker up and returns it (`s = shrinker_alloc(); s->scan_objects = f; return s;`)
    // and the registration of its result elsewhere in the file (`x = helper(); shrinker_register(x)`):
    // when the file has exactly one of each, they are one shrinker.
    const mine = out.filter((x) => x.file === file);
    const registeredOnly = mine.filter((x) => x.register && !x.callbacks.length);
    const setUpOnly = mine.filter((x) => !x.register && x.callbacks.length && x.alloc);
    if (registeredOnly.length === 1 && setUpOnly.length === 1) {
      const [r, h] = [registeredOnly[0], setUpOnly[0]];
      h.register = r.register;
      h.frees.push(...r.frees);
      h.anchor = r.anchor;
      h.key = r.key;
      out.splice(out.indexOf(r), 1);
    }
  }
  // The same across files: the registering function calls a setup helper defined elsewhere
  // (`z_shrinker = z_alloc_shrinker(); shrinker_register(z_shrinker);`, the helper in another file).
  for (const r of [...out]) {
    if (!r.register?.inFunction || r.callbacks.length) continue;
    const caller = a.functionsIn(r.file).find((f) => f.name === r.register!.inFunction);
    const helpers = out.filter((h) => h !== r && !h.register && h.callbacks.length && h.alloc?.inFunction
      && caller?.events.some((e) => e.k === 'call' && e.fn === h.alloc!.inFunction));
    if (helpers.length !== 1) continue;
    const h = helpers[0];
    h.register = { ...r.register, file: r.file };
    h.frees.push(...r.frees.map((f) => ({ ...f, file: r.file })));
    h.anchor = r.anchor;
    h.key = r.key;
    out.splice(out.indexOf(r), 1);
  }
  // A global `struct shrinker x = {...}` defined in one file and registered in another (6.1 gfs2:
  // quota.c defines gfs2_qd_shrinker, main.c registers it): one shrinker.
  for (const r of [...out]) {
    if (!r.register || r.callbacks.length || !/^[A-Za-z_]\w*$/.test(r.target)) continue;
    const defs = out.filter((d) => d !== r && d.target === r.target && d.declaration && !d.declaration.isStatic && !d.register);
    if (defs.length !== 1) continue;
    const d = defs[0];
    d.register = { ...r.register, file: r.file };
    d.frees.push(...r.frees.map((f) => ({ ...f, file: r.file })));
    d.name = d.name ?? r.name;
    d.anchor = r.anchor;
    out.splice(out.indexOf(r), 1);
  }
  await resolveCallbacks(a, out);
  return out;
}

async function resolveCallbacks(a: Analysis, shrinkers: ShrinkerInfo[]): Promise<void> {
  const p = a.project;
  const need = new Set<string>();
  const wanted = new Set<string>();
  for (const s of shrinkers) for (const c of s.callbacks) {
    const n = c.binding.fn;
    if (!n || a.functionsIn(s.file).some((f) => f.name === n && !f.stub)) continue;
    wanted.add(n);
    for (const f of a.candidateFiles(n, s.file).slice(0, 3)) need.add(f);
  }
  if (need.size) await p.ensureFacts([...need], p.demandDriven ? 'creations' : undefined, [...wanted]);
  const stubbed = new Set<string>();
  for (const s of shrinkers) for (const c of s.callbacks) {
    const d = c.binding.fn ? a.resolve(c.binding.fn, s.file) : undefined;
    if (d?.fn.stub) stubbed.add(d.file);
  }
  if (stubbed.size) await p.ensureFacts([...stubbed]);
  const roots: FnRef[] = [];
  for (const s of shrinkers) for (const c of s.callbacks) {
    if (!c.binding.fn) {
      c.unresolved = `the ${c.role} value \`${c.binding.expr}\` is not a function name`;
      continue;
    }
    // The value is a parameter of the function that sets the field (nfs42xattr.c's init helper): the caller chooses.
    const setter = c.binding.inFunction ? a.functionsIn(s.file).find((f) => f.name === c.binding.inFunction) : undefined;
    if (setter?.params.some((q) => q.name === c.binding.fn)) {
      c.unresolved = `the ${c.role} value \`${c.binding.fn}\` is a parameter of ${setter.name}(): the function comes from its callers`;
      continue;
    }
    c.fn = a.resolve(c.binding.fn, s.file);
    if (!c.fn || c.fn.fn.stub) {
      c.unresolved = `${c.binding.fn}() has no definition in the workspace`;
      c.fn = undefined;
    } else roots.push(c.fn);
  }
  trace(`shrinker callbacks resolved (${roots.length})`);
  // The teardowns that free a shrinker: shrinker-lifetime reads what their callees free.
  for (const s of shrinkers) for (const f of s.frees) {
    const td = f.inFunction ? a.functionsIn(f.file ?? s.file).find((x) => x.name === f.inFunction && !x.stub) : undefined;
    if (td) roots.push({ file: f.file ?? s.file, fn: td });
  }
  await a.prepare(roots);
  trace('shrinker callees read');
}

/** The tree defines shrinker_alloc() (6.7+ mm/shrinker.c), or one of its headers declares it (a module built against 6.7+ headers). */
export async function newApiAvailable(a: Analysis): Promise<boolean> {
  const p = a.project;
  if ((p.defIndex.get('shrinker_alloc') ?? []).length) return true;
  const headers = p.files.filter((f) => f.endsWith('.h') && p.prescan.get(f)?.hasEntry !== false);
  return (await p.filesMentioning(['shrinker_alloc('], headers)).length > 0;
}

/** Entry points of every family: slab ctors/dtors from the caches, shrinker callbacks. */
export function entryPoints(caches: CacheInfo[], shrinkers: ShrinkerInfo[]): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const c of caches) {
    for (const slot of ['ctor', 'dtor'] as const) {
      const ref = c.creation[slot];
      if (ref.kind === 'none') continue;
      const pat = ENTRY_PATTERNS.find((x) => x.kind === 'cache' && x.slot === slot)!;
      const fn = c[slot];
      const name = ref.kind === 'function' ? ref.name : ref.expr;
      out.push({
        family: 'slab', role: slot, context: CONTEXTS[pat.context], fn, name, owner: `cache ${c.creation.name.startsWith('"') ? c.creation.name : `'${c.creation.name}'`}`,
        registeredAt: { file: c.file, span: c.creation.at },
        unresolved: fn ? undefined : ref.kind === 'function' ? `${ref.name}() has no definition in the workspace` : `an expression (${ref.why})`,
      });
    }
  }
  for (const s of shrinkers) {
    for (const cb of s.callbacks) {
      out.push({
        family: 'shrinker', role: cb.role, context: cb.context, fn: cb.fn, name: cb.binding.fn ?? cb.binding.expr,
        owner: shrinkerLabel(s), registeredAt: { file: s.anchor.file, span: s.anchor.span }, unresolved: cb.unresolved,
      });
    }
  }
  return out;
}

export function shrinkerLabel(s: ShrinkerInfo): string {
  return s.name ? `shrinker '${s.name}'` : `shrinker ${s.target}`;
}

export function where(file: string, span: Span, root?: string): string {
  return `${root ? path.relative(root, file) : file}:${span[0] + 1}`;
}

/**
 * Entry points declared in `.slabcheck.json` (`entryPoints`): a struct field (`"field": "my_ops.cb"`)
 * read from tree-sitter nodes like the shrinker fields (the facts record only the knowledge base's
 * fields, so these files are parsed here), or a registration call's argument (`"call": "my_register",
 * "arg": 1`, read from the call events' arguments).
 */
export async function configEntryPoints(a: Analysis): Promise<EntryPoint[]> {
  const p = a.project;
  const pats = p.config.entryPoints;
  if (!pats.length) return [];
  const contexts = { ...CONTEXTS, ...p.config.contexts };
  const out: (EntryPoint & { from: string })[] = [];
  const fieldPats = pats.filter((x): x is Extract<EntryPattern, { kind: 'field' }> => x.kind === 'field');
  const callPats = pats.filter((x): x is Extract<EntryPattern, { kind: 'call' }> => x.kind === 'call');
  const words = [...new Set([...fieldPats.map((x) => x.field), ...callPats.map((x) => x.api)])];
  const files = new Set<string>();
  for (const w of words) for (const f of await p.filesMentioning([w])) if (!a.outsideKernel(f)) files.add(f);
  await p.ensureFacts([...files]);
  for (const file of [...files].sort()) {
    if (fieldPats.length) {
      const text = p.overlays.get(file) ?? readText(file);
      if (text !== undefined) {
        const tree = parseC(text);
        const src = makeSourceMap(text, tree.rootNode);
        const found = findEntryFacts(tree.rootNode, src, [...new Set(fieldPats.map((x) => x.field))], []);
        disposeTree(tree);
        for (const b of found.fields) {
          const pat = fieldPats.find((x) => x.field === b.field && (!b.struct || b.struct === x.struct));
          if (!pat) continue;
          out.push({
            family: pat.family, role: pat.role, context: contexts[pat.context], name: b.fn ?? b.expr, owner: `${pat.struct}.${pat.field} of ${b.target}`,
            registeredAt: { file, span: b.at }, unresolved: b.fn ? undefined : `the value \`${b.expr}\` is not a function name`, from: file,
          });
        }
      }
    }
    for (const fn of a.functionsIn(file)) for (const e of fn.events) {
      if (e.k !== 'call') continue;
      const pat = callPats.find((x) => x.api === e.fn);
      if (!pat) continue;
      const arg = e.args?.[pat.arg]?.t.replace(/^&/, '');
      const name = arg && /^[A-Za-z_]\w*$/.test(arg) ? arg : undefined;
      out.push({
        family: pat.family, role: pat.role, context: contexts[pat.context], name: name ?? arg ?? '(missing argument)', owner: `${pat.api}() in ${fn.name}()`,
        registeredAt: { file, span: e.at }, unresolved: name ? undefined : `argument ${pat.arg} of ${pat.api}() is \`${arg ?? ''}\`, not a function name`, from: file,
      });
    }
  }
  // Resolve the functions, reading their definitions' files and callees.
  const need = new Set<string>();
  for (const ep of out) if (!ep.unresolved) for (const f of a.candidateFiles(ep.name, ep.from).slice(0, 3)) need.add(f);
  await p.ensureFacts([...need]);
  const roots: FnRef[] = [];
  for (const ep of out) {
    if (ep.unresolved) continue;
    ep.fn = a.resolve(ep.name, ep.from);
    if (!ep.fn || ep.fn.fn.stub) {
      ep.fn = undefined;
      ep.unresolved = `${ep.name}() has no definition in the workspace`;
    } else roots.push(ep.fn);
  }
  await a.prepare(roots);
  return out;
}

function readText(f: string): string | undefined {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Where a file hands a function to the NMI, tracing or hardirq context (kb/contexts.ts
 * ATOMIC_PATTERNS): `register_nmi_handler(NMI_LOCAL, f, 0, "x")`, `request_irq(irq, f, ...)`,
 * `register_trace_sched_switch(f, NULL)`, `.pre_handler = f` of a struct kprobe, `.func = f` of a
 * struct ftrace_ops, and the functions `BPF_CALL_n(name, ...)` defines.
 *
 * Read from the masked text, not the tree: the hardirq family alone is 3,000 driver files on
 * a kernel tree, and these forms are all one identifier followed by a parenthesised list or
 * `= value`; reading them needs no parse (the registry parses only the handlers' bodies).
 * Arguments are split at the top-level commas; a value is read through parentheses, casts and `&`.
 */
import { lineStarts, maskedSource, positionAt } from '../parse/mask';
import { ATOMIC_PATTERNS, EntryPattern } from '../kb/contexts';
import type { Span } from '../facts/types';

export interface AtomicRegistration {
  pattern: EntryPattern;
  /** The API called (`register_trace_sched_switch`), the field set (`pre_handler`) or the macro (`BPF_CALL_2`). */
  api: string;
  /** The function named (through parentheses, casts, `&`), when the value is a plain name. */
  fn?: string;
  /** The value as written (collapsed whitespace). */
  expr: string;
  /** The value is NULL or 0 (through parentheses, casts, comments): `request_threaded_irq(irq, NULL, thread_fn, ...)`. */
  isNull?: boolean;
  /** The registration as written, for `slabcheck contexts` (first 160 characters). */
  text: string;
  at: Span;
}

const CALL_PATS = ATOMIC_PATTERNS.filter((p): p is Extract<EntryPattern, { kind: 'call' }> => p.kind === 'call');
const FIELD_PATS = ATOMIC_PATTERNS.filter((p): p is Extract<EntryPattern, { kind: 'field' }> => p.kind === 'field');
const DEFINE_PATS = ATOMIC_PATTERNS.filter((p): p is Extract<EntryPattern, { kind: 'define' }> => p.kind === 'define');
const EXACT = new Map(CALL_PATS.filter((p) => !p.api.endsWith('*')).map((p) => [p.api, p]));
const PREFIX = CALL_PATS.filter((p) => p.api.endsWith('*')).map((p) => ({ pre: p.api.slice(0, -1), p }));
const CALL_RE = new RegExp(`\\b(${[...EXACT.keys(), ...PREFIX.map((x) => `${x.pre}\\w+`)].join('|')})\\s*\\(`, 'g');
const FIELD_RE = new RegExp(`(\\.|->)\\s*(${[...new Set(FIELD_PATS.map((p) => p.field))].join('|')})\\s*=(?!=)`, 'g');
const DEFINE_RE = /^(?:NOTRACE_)?(BPF_CALL_[0-5])\s*\(\s*([A-Za-z_]\w*)/gm;
/** Words before a name that make `name(` a declaration or definition, not a call. */
const DECL_BEFORE = /(?:\b(?:int|void|long|bool|u64|u32|irqreturn_t|extern|static|inline)\s*\**\s*|__must_check\s*)$/;

/** The value a function argument or initialiser names: through parentheses, casts and `&`. */
export function valueName(v: string): string | undefined {
  let s = v.trim();
  for (let g = 0; g < 8; g++) {
    const p = /^\(([\s\S]*)\)$/.exec(s);
    let next = p && balanced(p[1]) ? p[1].trim() : s;
    // A cast `(type)x` / `(struct t *)x`, only with something after it.
    next = next.replace(/^\((?:const\s+)?(?:struct\s+)?\w+\s*\**\s*\)\s*(?=\S)/, '').replace(/^&\s*/, '').trim();
    if (next === s) break;
    s = next;
  }
  return /^[A-Za-z_]\w*$/.test(s) && !/^(?:NULL|0)$/.test(s) ? s : undefined;
}

/** NULL or 0 through parentheses and casts (the masked text has no comments). */
function nullValue(v: string): boolean {
  let s = v.trim();
  for (let g = 0; g < 8; g++) {
    const p = /^\(([\s\S]*)\)$/.exec(s);
    const next = (p && balanced(p[1]) ? p[1].trim() : s).replace(/^\((?:const\s+)?(?:struct\s+)?\w+\s*\**\s*\)\s*(?=\S)/, '').trim();
    if (next === s) break;
    s = next;
  }
  return /^(?:NULL|0)$/.test(s);
}

function balanced(s: string): boolean {
  let d = 0;
  for (const c of s) {
    if (c === '(') d++;
    else if (c === ')' && --d < 0) return false;
  }
  return d === 0;
}

/** The top-level arguments of the list opening at `open` (a `(`), and where it closes. */
export function splitArgs(m: string, open: number): { args: { text: string; start: number }[]; end: number } | undefined {
  const args: { text: string; start: number }[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < m.length && i < open + 4000; i++) {
    const c = m[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) {
        if (m.slice(start, i).trim() || args.length) args.push({ text: m.slice(start, i), start });
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push({ text: m.slice(start, i), start });
      start = i + 1;
    }
  }
  return undefined;
}

export function findAtomicRegistrations(text: string, masked = maskedSource(text)): AtomicRegistration[] {
  const m = masked;
  const starts = lineStarts(text);
  const span = (s: number, e: number): Span => [...positionAt(starts, s), ...positionAt(starts, e)] as Span;
  const shown = (s: number, e: number) => text.slice(s, e).replace(/\s+/g, ' ').trim().slice(0, 160);
  const out: AtomicRegistration[] = [];
  CALL_RE.lastIndex = 0;
  for (let hit: RegExpExecArray | null; (hit = CALL_RE.exec(m)) !== null;) {
    const api = hit[1];
    const pat = EXACT.get(api) ?? PREFIX.find((x) => api.startsWith(x.pre))?.p;
    if (!pat || pat.kind !== 'call') continue;
    // A declaration or definition of the API (a header's prototype, its own body), or a member `x.request_irq(`.
    const before = m.slice(Math.max(0, hit.index - 60), hit.index);
    if (DECL_BEFORE.test(before) || /(?:\.|->)\s*$/.test(before) || /(?:^|\n)$/.test(before)) continue;
    if (/^\s*#\s*define\b/.test(m.slice(m.lastIndexOf('\n', hit.index) + 1, hit.index))) continue;
    const open = hit.index + hit[0].length - 1;
    const list = splitArgs(m, open);
    if (!list) continue;
    // A prototype `int f(unsigned int irq, irq_handler_t handler, ...);` that the checks above missed.
    if (/^\s*\{/.test(m.slice(list.end, list.end + 20))) continue;
    const arg = list.args[pat.arg];
    if (!arg) continue;
    const expr = text.slice(arg.start, arg.start + arg.text.length).replace(/\s+/g, ' ').trim();
    out.push({ pattern: pat, api, fn: valueName(arg.text), expr, isNull: nullValue(arg.text), text: shown(hit.index, list.end), at: span(hit.index, list.end) });
  }
  FIELD_RE.lastIndex = 0;
  for (let hit: RegExpExecArray | null; (hit = FIELD_RE.exec(m)) !== null;) {
    const field = hit[2];
    const valueStart = hit.index + hit[0].length;
    const end = valueEnd(m, valueStart);
    const raw = m.slice(valueStart, end);
    const pats = FIELD_PATS.filter((p) => p.field === field);
    const pat = pats.find((p) => structOf(m, hit!.index, hit![1] === '.', p.struct)) ?? (pats.length === 1 && pats[0].field !== 'func' ? pats[0] : undefined);
    if (!pat) continue;
    const expr = text.slice(valueStart, end).replace(/\s+/g, ' ').trim();
    out.push({ pattern: pat, api: field, fn: valueName(raw), expr, isNull: nullValue(raw), text: shown(hit.index, end), at: span(valueStart + (raw.length - raw.trimStart().length), end) });
  }
  DEFINE_RE.lastIndex = 0;
  for (let hit: RegExpExecArray | null; (hit = DEFINE_RE.exec(m)) !== null;) {
    const pat = DEFINE_PATS.find((p) => p.macro.test(hit![1]));
    if (!pat) continue;
    const list = splitArgs(m, m.indexOf('(', hit.index));
    // `#define BPF_CALL_0(...)` itself, or a use without a body.
    if (!list || !/^\s*\{/.test(m.slice(list.end, list.end + 40))) continue;
    const nameAt = hit.index + hit[0].length - hit[2].length;
    out.push({ pattern: pat, api: hit[1], fn: hit[2], expr: hit[2], text: shown(hit.index, list.end), at: span(nameAt, nameAt + hit[2].length) });
  }
  return out.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
}

/** Where an initialiser's or an assignment's value ends: the next top-level `,`, `;` or closing bracket. */
function valueEnd(m: string, s: number): number {
  let d = 0;
  for (let i = s; i < m.length && i < s + 400; i++) {
    const c = m[i];
    if (c === '(' || c === '[' || c === '{') d++;
    else if (c === ')' || c === ']' || c === '}') {
      if (d === 0) return i;
      d--;
    } else if ((c === ',' || c === ';') && d === 0) return i;
  }
  return s;
}

/**
 * Whether the field set at `at` belongs to a `struct <type>`: the initialiser it is in opens
 * after `struct <type> name =` (or a compound literal `(struct <type>){`), or the object of an
 * assignment is declared `struct <type>` (a variable, a parameter, a field of that type) in the file.
 */
function structOf(m: string, at: number, dot: boolean, type: string): boolean {
  if (dot) {
    // The nearest unclosed `{` before the field.
    let d = 0;
    for (let i = at - 1; i >= 0 && i > at - 20000; i--) {
      const c = m[i];
      if (c === '}') d++;
      else if (c === '{') {
        if (d === 0) {
          const head = m.slice(Math.max(0, i - 200), i);
          if (new RegExp(`struct\\s+${type}\\b[^;{}]*=\\s*$|\\(\\s*struct\\s+${type}\\s*\\)\\s*$`).test(head)) return true;
          break;
        }
        d--;
      }
    }
  }
  // `obj->field = f` / `obj.field = f`: obj's last identifier declared with the type.
  const line = m.slice(Math.max(0, at - 120), at);
  const obj = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(line)?.[1];
  if (!obj) return false;
  return new RegExp(`struct\\s+${type}\\s*\\**\\s*${obj}\\b`).test(m);
}

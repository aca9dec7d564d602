/**
 * Identifiers renamed consistently in every file: the workspace's functions, its cache
 * pointers (`struct kmem_cache *x`), and locals and parameters. Never a struct field, a
 * macro, a name a macro body uses, a name `.slabcheck.json` uses, or a name the knowledge base knows.
 */
import { Family, isKernelApi, Variant } from '../family';
import { Edit, editFiles, functions, sources, tokenize, Tok } from '../text';

const TYPE_WORDS = new Set(['int', 'long', 'char', 'short', 'void', 'bool', 'unsigned', 'signed', 'const', 'u8', 'u16', 'u32', 'u64', 's64', 'size_t']);
const KEYWORDS = new Set(['if', 'else', 'while', 'for', 'do', 'switch', 'case', 'default', 'return', 'goto', 'break', 'continue', 'sizeof', 'struct', 'union', 'enum', 'static', 'inline', 'extern', 'typedef', 'NULL', 'true', 'false', ...TYPE_WORDS]);

function typeLike(toks: Tok[], k: number): boolean {
  const t = toks[k];
  if (!t || t.kind !== 'id') return false;
  return TYPE_WORDS.has(t.text) || /_t$/.test(t.text) || ['struct', 'union', 'enum'].includes(toks[k - 1]?.text);
}

/** Names declared as a parameter or local: `type *name` followed by `;`, `=`, `,`, `)` or `[`. */
function declared(toks: Tok[], k: number): boolean {
  if (toks[k].kind !== 'id' || !/^[;=,)[]$/.test(toks[k + 1]?.text ?? '')) return false;
  let j = k - 1;
  while (toks[j]?.text === '*') j--;
  return typeLike(toks, j) || toks[j]?.text === '__percpu' && typeLike(toks, j - 1);
}

type Kind = 'functions' | 'caches' | 'locals';

function names(files: Record<string, string>): Record<Kind, Set<string>> {
  const fields = new Set<string>();
  const banned = new Set<string>();
  const out: Record<Kind, Set<string>> = { functions: new Set(), caches: new Set(), locals: new Set() };
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const fns = functions(src, toks);
    for (const f of fns) out.functions.add(f.name);
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      if (t.kind === 'pp') for (const m of t.text.matchAll(/\w+/g)) banned.add(m[0]);
      if (t.kind !== 'id') continue;
      if (toks[k - 1]?.text === '.' || toks[k - 1]?.text === '->' || ['struct', 'union', 'enum'].includes(toks[k - 1]?.text)) fields.add(t.text);
      if (toks[k - 1]?.text === '*' && (toks[k - 2]?.text === 'kmem_cache' || toks[k - 2]?.text === ',') && /[;,=]/.test(toks[k + 1]?.text ?? '')) {
        let j = k - 1;
        while (j > 0 && toks[j].text !== ';' && toks[j].text !== '{' && toks[j].text !== '}' && toks[j].text !== '(') j--;
        if (src.slice(toks[j].end, t.start).includes('struct kmem_cache')) out.caches.add(t.text);
      }
      const inFn = fns.find((f) => k > f.paramsOpen && k < f.bodyClose);
      if (inFn && declared(toks, k)) out.locals.add(t.text);
    }
    // struct members: declared inside `struct x { ... }` at file scope
    for (let k = 0; k < toks.length; k++) {
      if (toks[k].text !== 'struct' || toks[k + 2]?.text !== '{') continue;
      let depth = 0;
      for (let j = k + 2; j < toks.length; j++) {
        if (toks[j].text === '{') depth++;
        else if (toks[j].text === '}' && --depth === 0) break;
        else if (toks[j].kind === 'id') fields.add(toks[j].text);
      }
    }
  }
  // Names `.slabcheck.json` gives meaning to (declared lock primitives) keep it only under their own name.
  for (const m of (files['.slabcheck.json'] ?? '').matchAll(/\w+/g)) banned.add(m[0]);
  for (const set of Object.values(out)) for (const n of [...set]) if (fields.has(n) || banned.has(n) || KEYWORDS.has(n) || isKernelApi(n)) set.delete(n);
  for (const n of out.functions) out.locals.delete(n);
  for (const n of out.caches) out.locals.delete(n);
  return out;
}

function rename(files: Record<string, string>, map: Map<string, string>) {
  const edits: Record<string, Edit[]> = {};
  for (const file of sources(files)) {
    const toks = tokenize(files[file]);
    edits[file] = [];
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      if (t.kind !== 'id' || !map.has(t.text) || toks[k - 1]?.text === '.' || toks[k - 1]?.text === '->') continue;
      edits[file].push({ start: t.start, end: t.end, text: map.get(t.text)! });
    }
  }
  return editFiles(files, edits);
}

export const renameFamily: Family = {
  name: 'rename',
  variants(fx) {
    const all = names(fx.files);
    const out: Variant[] = [];
    const prefix: Record<Kind, string> = { functions: 'zf', caches: 'zc', locals: 'zv' };
    for (const kind of ['functions', 'caches', 'locals'] as Kind[]) {
      const map = new Map([...all[kind]].sort().map((n, i) => [n, `${prefix[kind]}${i}_${n.length}`]));
      const r = map.size ? rename(fx.files, map) : null;
      if (r) out.push({ label: `${kind} (${[...map.keys()].join(', ')})`, rewritten: r });
    }
    return out;
  },
};

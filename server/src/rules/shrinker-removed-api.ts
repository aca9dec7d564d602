import * as fs from 'fs';
import type { Fix, Rule, TextEdit } from './types';
import type { ShrinkerInfo } from '../contexts/registry';
import type { Analysis } from '../index/analysis';
import { shrinkerLabel } from '../contexts/registry';
import { SHRINKER_API } from '../kb/contexts';
import { disposeTree, parseC, SyntaxNode } from '../parse/parser';
import type { RegistrationCall, Span } from '../facts/types';

const OLD = new Set<string>([...SHRINKER_API.oldRegister, ...SHRINKER_API.oldUnregister]);

export const shrinkerRemovedApi: Rule = {
  meta: {
    id: 'shrinker-removed-api',
    defaultSeverity: 'error',
    description: 'register_shrinker()/unregister_shrinker() on a tree that has shrinker_alloc(): the old API was removed in 6.7.',
    semantics: 'any',
    explanation: [
      'The lockless-shrink series (Qi Zheng, seeds/003) converted every shrinker to be dynamically allocated with',
      '`shrinker_alloc()`, registered with `shrinker_register()` and freed with `shrinker_free()`, then removed the old API',
      '(patch 43, "mm: shrinker: remove old APIs"). The shrinker is freed after an RCU grace period (`call_rcu()`), and its',
      'refcount keeps it from running again after `shrinker_free()`, so the structure that owned it can be freed without',
      'waiting. The embedding struct is reached through `shrinker->private_data` instead of `container_of()`.',
      '',
      'Dave Chinner, quoted in the series: it "will break all the existing out of tree code and third party modules using',
      'the old API" - on purpose, so that unconverted shrinkers do not run under the lockless walk.',
      '',
      'Reported only when the tree (its headers or mm/) has `shrinker_alloc()`: on 6.1 the old API is the API.',
      '',
      '**Fix:** the code action rewrites a static `struct shrinker` with a designated initialiser, or one embedded in a struct',
      'and set up in the function that registers it, to a `struct shrinker *` set up with `shrinker_alloc()`/`shrinker_register()`',
      'and freed with `shrinker_free()`, `container_of()` in the callbacks becoming `shrinker->private_data`.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    if (!s.newApiAvailable) return;
    const old = [s.register, ...s.frees].filter((c): c is RegistrationCall => !!c && OLD.has(c.api));
    if (!old.length) return;
    const text = ctx.analysis.project.overlays.get(s.file) ?? safeRead(s.file);
    const fix = rewrite(text, s) ?? rewriteEmbedded(ctx.analysis, text, s);
    for (const c of old) {
      const repl = SHRINKER_API.oldUnregister.includes(c.api as never) ? 'shrinker_free()' : 'shrinker_alloc() and shrinker_register()';
      ctx.report({
        file: c.file ?? s.file, span: c.at, related: [],
        message: `${c.api}() of ${shrinkerLabel(s)}: this tree has shrinker_alloc(); the old shrinker API was removed in 6.7, use ${repl}${fix ? '' : ' (no automatic rewrite for this shape: a static struct shrinker with a designated initialiser, or one embedded in a struct and set up in one function, is rewritten)'}`,
        ...(fix ? { fixes: [fix] } : {}),
      });
    }
  },
};

function safeRead(f: string): string | undefined {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

function offsetAt(lines: number[], l: number, c: number): number {
  return lines[l] + c;
}

/**
 * `static struct shrinker x = { .count_objects = c, .scan_objects = s, .seeks = DEFAULT_SEEKS };`
 * registered by `register_shrinker(&x, "name")` (a statement, `err = ...;` or `return ...;`) and
 * unregistered by `unregister_shrinker(&x);` -> a `struct shrinker *x` from shrinker_alloc().
 */
function rewrite(text: string | undefined, s: ShrinkerInfo): Fix | undefined {
  const decl = s.declaration;
  const reg = s.register;
  if (!text || !decl?.declAt || !reg?.stmtAt || reg.api !== 'register_shrinker' || !/^[A-Za-z_]\w*$/.test(s.target)) return undefined;
  if (s.frees.some((f) => f.api !== 'unregister_shrinker' || !f.stmtAt || (f.file && f.file !== s.file)) || (reg.file && reg.file !== s.file)) return undefined;
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const slice = (sp: Span) => text.slice(offsetAt(starts, sp[0], sp[1]), offsetAt(starts, sp[2], sp[3]));
  const x = s.target;
  // Any other use of the variable (`x.seeks = 2`, `&x` passed elsewhere) is not rewritten safely.
  const uses = text.match(new RegExp(`\\b${x}\\b`, 'g'))?.length ?? 0;
  if (uses !== 2 + s.frees.length) return undefined;
  const declText = slice(decl.declAt);
  const tree = parseC(declText);
  const fields = designatedFields(tree.rootNode, declText);
  disposeTree(tree);
  if (!fields || !fields.length || fields.some((f) => !f.name)) return undefined;
  const flags = fields.find((f) => f.name === 'flags')?.value ?? '0';
  const set = fields.filter((f) => f.name !== 'flags');
  const stmt = slice(reg.stmtAt);
  const ind = /^[ \t]*/.exec(text.slice(starts[reg.stmtAt[0]]))![0];
  const nameArgs = reg.args.slice(1).join(', ') || `"${x}"`;
  const setup = (pad: string) => [...set.map((f) => `${pad}${x}->${f.name} = ${f.value};`), `${pad}shrinker_register(${x});`];
  const alloc = `${x} = shrinker_alloc(${flags}, ${nameArgs});`;
  let body: string[];
  const assign = /^([^=;]+?)\s*=\s*register_shrinker\s*\(/.exec(stmt);
  if (/^return\s+register_shrinker\s*\(/.test(stmt)) body = [alloc, `${ind}if (!${x})`, `${ind}\treturn -ENOMEM;`, ...setup(ind), `${ind}return 0;`];
  else if (assign) body = [alloc, `${ind}if (${x}) {`, ...setup(ind + '\t'), `${ind}}`, `${ind}${assign[1]} = ${x} ? 0 : -ENOMEM;`];
  else if (/^register_shrinker\s*\(/.test(stmt)) body = [alloc, `${ind}if (${x}) {`, ...setup(ind + '\t'), `${ind}}`];
  else return undefined;
  const isStatic = /^\s*static\b/.test(declText);
  const edits: TextEdit[] = [
    { file: s.file, span: decl.declAt, newText: `${isStatic ? 'static ' : ''}struct shrinker *${x};` },
    { file: s.file, span: reg.stmtAt, newText: body.join('\n') },
    ...s.frees.map((f) => ({ file: s.file, span: f.stmtAt!, newText: `shrinker_free(${x});` })),
  ];
  return { title: `Rewrite ${x} to shrinker_alloc()/shrinker_register()/shrinker_free()`, edits };
}

/**
 * A `struct shrinker sh;` embedded in `struct foo`, set up in one function
 * (`f->sh.count_objects = c; ...; return register_shrinker(&f->sh, "name");`), its callbacks reaching
 * the owner with `container_of(s, struct foo, sh)` and torn down with `unregister_shrinker(&f->sh)`:
 * the field becomes a `struct shrinker *` from shrinker_alloc(), `private_data` the owner, and
 * container_of() `s->private_data` (the lockless-shrink series' conversion, seeds/003).
 */
function rewriteEmbedded(a: Analysis, text: string | undefined, s: ShrinkerInfo): Fix | undefined {
  const reg = s.register;
  const m = /^([A-Za-z_]\w*)->([A-Za-z_]\w*)$/.exec(s.target);
  if (!text || !m || !reg?.stmtAt || reg.api !== 'register_shrinker' || reg.file || s.declaration || s.privateData) return undefined;
  const [, base, field] = m;
  if (s.frees.some((f) => f.api !== 'unregister_shrinker' || !f.stmtAt || f.file)) return undefined;
  const fields = s.callbacks.map((c) => c.binding);
  const setup = a.functionsIn(s.file).find((f) => f.name === reg.inFunction);
  const type = setup?.params.find((q) => q.name === base)?.type.match(/struct\s+(\w+)/)?.[1];
  if (!setup || !type) return undefined;
  // Every field assignment in the registering function, before the registration: `base->field.x = v;`.
  const lines = text.split('\n');
  const assign = new RegExp(`^(\\s*)${base}->${field}\\.(\\w+)\\s*=\\s*(.*);\\s*$`);
  const sets: { line: number; name: string; value: string; ind: string }[] = [];
  for (let l = setup.at[0]; l < reg.stmtAt[0]; l++) {
    const x = assign.exec(lines[l]);
    if (x) sets.push({ line: l, ind: x[1], name: x[2], value: x[3] });
    else if (new RegExp(`\\b${base}->${field}\\b`).test(lines[l])) return undefined;
  }
  if (!sets.length || fields.some((b) => b.form !== 'assignment' || !sets.some((x) => x.line === b.at[0]))) return undefined;
  // The struct definition's field.
  let structEdit: TextEdit | undefined;
  for (const f of a.project.facts.values()) {
    const st = f.structs.find((x) => x.name === type && /^struct\s+shrinker$/.test(x.fields[field] ?? ''));
    if (!st) continue;
    const stText = f.path === s.file ? text : a.project.overlays.get(f.path) ?? safeRead(f.path);
    const sl = stText?.split('\n');
    for (let l = st.at[0]; sl && l <= st.at[2]; l++) {
      const x = new RegExp(`^(\\s*)struct\\s+shrinker\\s+${field}\\s*;(.*)$`).exec(sl[l]);
      if (x) structEdit = { file: f.path, span: [l, 0, l, sl[l].length], newText: `${x[1]}struct shrinker *${field};${x[2]}` };
    }
  }
  if (!structEdit) return undefined;
  const ind = sets[0].ind;
  const flags = sets.find((x) => x.name === 'flags')?.value ?? '0';
  const nameArgs = reg.args.slice(1).join(', ') || `"${field}"`;
  const sh = `${base}->${field}`;
  const stmt = text.split('\n').slice(reg.stmtAt[0], reg.stmtAt[2] + 1).join('\n').slice(reg.stmtAt[1]);
  if (!/^return\s+register_shrinker\s*\(/.test(stmt)) return undefined;
  const edits: TextEdit[] = [structEdit];
  sets.forEach((x, i) => {
    const body = x.name === 'flags' ? [] : [`${x.ind}${sh}->${x.name} = ${x.value};`];
    const head = i === 0 ? [`${ind}${sh} = shrinker_alloc(${flags}, ${nameArgs});`, `${ind}if (!${sh})`, `${ind}\treturn -ENOMEM;`] : [];
    edits.push({ file: s.file, span: [x.line, 0, x.line, lines[x.line].length], newText: [...head, ...body].join('\n') || `${x.ind}/* flags passed to shrinker_alloc() */` });
  });
  edits.push({ file: s.file, span: reg.stmtAt, newText: [`${sh}->private_data = ${base};`, `${ind}shrinker_register(${sh});`, `${ind}return 0;`].join('\n') });
  for (const f of s.frees) edits.push({ file: s.file, span: f.stmtAt!, newText: `shrinker_free(${sh});` });
  // container_of(x, struct type, field) -> x->private_data, in the callbacks.
  const co = new RegExp(`container_of\\(\\s*(\\w+)\\s*,\\s*struct\\s+${type}\\s*,\\s*${field}\\s*\\)`);
  for (const c of s.callbacks) {
    if (!c.fn) continue;
    const cText = c.fn.file === s.file ? text : a.project.overlays.get(c.fn.file) ?? safeRead(c.fn.file);
    const cl = cText?.split('\n') ?? [];
    for (let l = c.fn.fn.at[0]; l <= c.fn.fn.at[2] && l < cl.length; l++) {
      const x = co.exec(cl[l]);
      if (x) edits.push({ file: c.fn.file, span: [l, x.index, l, x.index + x[0].length], newText: `${x[1]}->private_data` });
    }
  }
  return { title: `Rewrite ${sh} to shrinker_alloc()/shrinker_register()/shrinker_free() with private_data`, edits };
}

/** `.name = value` pairs of an initialiser, or undefined when one is not a plain field designator. */
function designatedFields(root: SyntaxNode, text: string): { name: string; value: string }[] | undefined {
  const fields: { name: string; value: string }[] = [];
  for (const pair of root.descendantsOfType('initializer_pair')) {
    const d = pair.childForFieldName('designator');
    const v = pair.childForFieldName('value');
    if (d?.type !== 'field_designator' || !v) return undefined;
    fields.push({ name: d.namedChildren[0]?.text ?? '', value: text.slice(v.startIndex, v.endIndex) });
  }
  return fields;
}

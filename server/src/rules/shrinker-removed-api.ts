import * as fs from 'fs';
import type { Fix, Rule, TextEdit } from './types';
import type { ShrinkerInfo } from '../contexts/registry';
import { shrinkerLabel } from '../contexts/registry';
import { SHRINKER_API } from '../kb/contexts';
import { parseC } from '../parse/parser';
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
      '**Fix:** the code action rewrites a static `struct shrinker` with a designated initialiser to a `struct shrinker *`',
      'set up with `shrinker_alloc()`/`shrinker_register()` and freed with `shrinker_free()`.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    if (!s.newApiAvailable) return;
    const old = [s.register, ...s.frees].filter((c): c is RegistrationCall => !!c && OLD.has(c.api));
    if (!old.length) return;
    const fix = rewrite(ctx.analysis.project.overlays.get(s.file) ?? safeRead(s.file), s);
    for (const c of old) {
      const repl = SHRINKER_API.oldUnregister.includes(c.api as never) ? 'shrinker_free()' : 'shrinker_alloc() and shrinker_register()';
      ctx.report({
        file: c.file ?? s.file, span: c.at, related: [],
        message: `${c.api}() of ${shrinkerLabel(s)}: this tree has shrinker_alloc(); the old shrinker API was removed in 6.7, use ${repl}${fix ? '' : ' (no automatic rewrite: only a static struct shrinker with a designated initialiser is rewritten)'}`,
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
  const fields: { name: string; value: string }[] = [];
  for (const pair of tree.rootNode.descendantsOfType('initializer_pair')) {
    const d = pair.childForFieldName('designator');
    const v = pair.childForFieldName('value');
    if (d?.type !== 'field_designator' || !v) return undefined;
    fields.push({ name: d.namedChildren[0]?.text ?? '', value: declText.slice(v.startIndex, v.endIndex) });
  }
  if (!fields.length || fields.some((f) => !f.name)) return undefined;
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

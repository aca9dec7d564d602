/**
 * Where a file hands functions to an execution context (kb/contexts.ts): a function stored
 * into a watched struct field (`.scan_objects = f` in an initialiser, `s->scan_objects = f`,
 * `sb->s_shrink.count_objects = f`) and the registration calls of the shrinker API
 * (`s = shrinker_alloc(0, "name")`, `shrinker_register(s)`, `register_shrinker(&x, "name")`).
 *
 * Read from tree-sitter nodes, like cache-creations.ts: the masked text only says where the
 * field and API identifiers are; the node at each one says what it is (a `field_designator` in
 * an `initializer_pair`, the `field` of a `field_expression` on the left of an assignment, the
 * `function` of a `call_expression`), and values are read through parentheses, casts and `&`.
 * Functions tree-sitter swallowed into ERROR nodes are looked up in their re-parsed trees.
 */
import type { SyntaxNode } from '../parse/parser';
import { declaratorName, SourceMap } from './extract';
import type { FieldBinding, RegistrationCall } from './types';

export interface EntryFacts {
  fields: FieldBinding[];
  calls: RegistrationCall[];
}

function tokenRegex(words: readonly string[]): RegExp {
  return new RegExp(`\\b(?:${words.map((w) => w.replace(/[^A-Za-z0-9_]/g, '')).join('|')})\\b`, 'g');
}

/** Every binding of one of `fields` and every call of one of `apis` in the file. */
export function findEntryFacts(root: SyntaxNode, src: SourceMap, fields: readonly string[], apis: readonly string[], recovered: SyntaxNode[] = []): EntryFacts {
  const out: EntryFacts = { fields: [], calls: [] };
  const m = src.masked;
  const fns: SyntaxNode[] = [];
  for (const r of recovered) {
    if (r.type === 'function_definition') fns.push(r);
    else for (const c of r.namedChildren) if (c.type === 'function_definition') fns.push(c);
  }
  const nodeAt = (s: number, e: number): SyntaxNode | undefined => {
    for (const f of fns) if (f.startIndex <= s && e <= f.endIndex) return f.descendantForIndex(s, e);
    return root.descendantForIndex(s, e) ?? undefined;
  };
  const text = (n: SyntaxNode) => src.text.slice(n.startIndex, n.endIndex).replace(/\s+/g, ' ').trim();
  if (fields.length && fields.some((f) => m.includes(f))) {
    const re = tokenRegex(fields);
    let hit: RegExpExecArray | null;
    while ((hit = re.exec(m)) !== null) {
      const node = nodeAt(hit.index, hit.index + hit[0].length);
      if (!node || node.type !== 'field_identifier' || node.startIndex !== hit.index) continue;
      const b = readField(node, hit[0], src, text);
      if (b) out.fields.push(b);
    }
  }
  if (apis.length && apis.some((a) => m.includes(a))) {
    const re = tokenRegex(apis);
    let hit: RegExpExecArray | null;
    while ((hit = re.exec(m)) !== null) {
      const node = nodeAt(hit.index, hit.index + hit[0].length);
      if (!node || node.type !== 'identifier' || node.startIndex !== hit.index) continue;
      const call = node.parent;
      if (!call || call.type !== 'call_expression') continue;
      const f = call.childForFieldName('function');
      if (!f || f.startIndex !== node.startIndex || f.endIndex !== node.endIndex) continue;
      const list = call.childForFieldName('arguments');
      // Parentheses around an argument (a macro's expansion writes them) change nothing.
      const bare = (x: SyntaxNode): SyntaxNode => (x.type === 'parenthesized_expression' && x.namedChildren.length === 1 ? bare(x.namedChildren[0]) : x);
      const args = (list?.namedChildren ?? []).filter((x) => x.type !== 'comment').map((x) => text(bare(x)));
      const rc: RegistrationCall = { api: hit[0], args, at: src.span(call.startIndex, call.endIndex), inFunction: enclosingFunction(call) };
      const up = call.parent;
      if (up?.type === 'assignment_expression' && up.childForFieldName('right')?.startIndex === call.startIndex) {
        const left = up.childForFieldName('left');
        if (left) rc.assignedTo = text(left);
      } else if (up?.type === 'init_declarator') {
        const d = up.childForFieldName('declarator');
        const n = d ? declaratorName(d).name : undefined;
        if (n) rc.assignedTo = n;
      } else if (up?.type === 'return_statement') rc.returned = true;
      const stmt = statementOf(call);
      if (stmt) rc.stmtAt = src.span(stmt.startIndex, stmt.endIndex);
      out.calls.push(rc);
    }
  }
  return out;
}

function readField(node: SyntaxNode, field: string, src: SourceMap, text: (n: SyntaxNode) => string): FieldBinding | undefined {
  const p = node.parent;
  if (!p) return undefined;
  if (p.type === 'field_designator') {
    const pair = p.parent;
    if (!pair || pair.type !== 'initializer_pair') return undefined;
    const value = pair.childForFieldName('value');
    if (!value) return undefined;
    const target = initialised(pair.parent);
    if (!target) return undefined;
    return {
      field, ...valueOf(value, text), target: target.name, struct: target.struct, inFunction: enclosingFunction(pair),
      at: src.span(value.startIndex, value.endIndex), form: 'initializer',
      declAt: target.decl ? src.span(target.decl.startIndex, target.decl.endIndex) : undefined,
      isStatic: target.isStatic,
    };
  }
  if (p.type === 'field_expression' && p.childForFieldName('field')?.startIndex === node.startIndex) {
    const asg = p.parent;
    if (!asg || asg.type !== 'assignment_expression' || asg.childForFieldName('left')?.startIndex !== p.startIndex) return undefined;
    if (asg.childForFieldName('operator')?.text !== '=' && asg.child(1)?.text !== '=') return undefined;
    const value = asg.childForFieldName('right');
    const base = p.childForFieldName('argument');
    if (!value || !base) return undefined;
    const op = src.text.slice(base.endIndex, node.startIndex).replace(/\s+/g, '');
    const stmt = statementOf(asg);
    return {
      field, ...valueOf(value, text), target: text(base), via: op === '.' ? '.' : '->', inFunction: enclosingFunction(asg),
      at: src.span(value.startIndex, value.endIndex), form: 'assignment', declAt: stmt ? src.span(stmt.startIndex, stmt.endIndex) : undefined,
    };
  }
  return undefined;
}

/** The function a value names (through parentheses, casts and `&`), or the expression as written. */
function valueOf(v: SyntaxNode, text: (n: SyntaxNode) => string): { fn?: string; expr: string } {
  let n = v;
  for (let g = 0; g < 16; g++) {
    if (n.type === 'parenthesized_expression' && n.namedChildren.length === 1) n = n.namedChildren[0];
    else if (n.type === 'cast_expression' && n.childForFieldName('value')) n = n.childForFieldName('value')!;
    else if (n.type === 'pointer_expression' && n.childForFieldName('operator')?.text === '&' && n.childForFieldName('argument')) n = n.childForFieldName('argument')!;
    else break;
  }
  const expr = text(v);
  if (n.type === 'identifier' && !/^(?:NULL|0)$/.test(n.text)) return { fn: n.text, expr };
  return { expr };
}

/** What an initializer list initialises: a variable (`struct shrinker x = {`), or a field of one (`.shrinker = {`). */
function initialised(list: SyntaxNode | null): { name: string; struct?: string; decl?: SyntaxNode; isStatic?: boolean } | undefined {
  if (!list || list.type !== 'initializer_list') return undefined;
  const up = list.parent;
  if (!up) return undefined;
  if (up.type === 'init_declarator') {
    const d = up.childForFieldName('declarator');
    const name = d ? declaratorName(d).name : undefined;
    if (!name) return undefined;
    const decl = up.parent?.type === 'declaration' ? up.parent : undefined;
    const type = decl?.childForFieldName('type');
    const struct = type?.type === 'struct_specifier' ? type.childForFieldName('name')?.text : undefined;
    const isStatic = !!decl?.children.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    return { name, struct, decl, isStatic };
  }
  if (up.type === 'initializer_pair') {
    const des = up.childForFieldName('designator');
    const outer = initialised(up.parent);
    const f = des?.type === 'field_designator' ? des.namedChildren[0]?.text : undefined;
    if (outer && f) return { name: `${outer.name}.${f}` };
  }
  if (up.type === 'compound_literal_expression') {
    const t = up.childForFieldName('type');
    return { name: '(compound literal)', struct: t?.text.replace(/^struct\s+/, '') };
  }
  return undefined;
}

function statementOf(n: SyntaxNode): SyntaxNode | undefined {
  for (let p: SyntaxNode | null = n; p; p = p.parent) {
    if (p.type.endsWith('_statement') || p.type === 'declaration') return p;
    if (p.type === 'function_definition' || p.type === 'compound_statement') return undefined;
  }
  return undefined;
}

function enclosingFunction(n: SyntaxNode): string | undefined {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type !== 'function_definition') continue;
    const d = p.childForFieldName('declarator');
    return d ? declaratorName(d).name : undefined;
  }
  return undefined;
}

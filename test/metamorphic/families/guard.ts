/**
 * A lock/unlock pair written as `guard(class)(&l);` (when the unlock ends its block) or as
 * `scoped_guard(class, &l) { ... }` around the statements between them; guard classes as in
 * server/src/kb/locks.ts GUARD_CLASSES. Only a pair in one block, with nothing between that
 * leaves it (return, goto, break, continue), declares a variable or releases the lock again.
 * Expected: the same findings.
 */
import type { Family, Variant } from '../family';
import { GUARD_CLASSES } from '../../../server/src/kb/locks';
import { copy, Edit, editFiles, lit, matching, Piece, sources, tokenize } from '../text';
import { LockStmt, lockStatements } from './locks';

const CLASS: Record<string, [string, string]> = {
  spin_lock: ['spinlock', 'spin_unlock'], spin_lock_irq: ['spinlock_irq', 'spin_unlock_irq'],
  spin_lock_irqsave: ['spinlock_irqsave', 'spin_unlock_irqrestore'], spin_lock_bh: ['spinlock_bh', 'spin_unlock_bh'],
  raw_spin_lock: ['raw_spinlock', 'raw_spin_unlock'], raw_spin_lock_irqsave: ['raw_spinlock_irqsave', 'raw_spin_unlock_irqrestore'],
  mutex_lock: ['mutex', 'mutex_unlock'], down_read: ['rwsem_read', 'up_read'], down_write: ['rwsem_write', 'up_write'],
  read_lock: ['read_lock', 'read_unlock'], write_lock: ['write_lock', 'write_unlock'],
};
for (const [cls] of Object.values(CLASS)) if (!(cls in GUARD_CLASSES)) throw new Error(`guard class ${cls} is not in the knowledge base`);

export interface Pair { lock: LockStmt; unlock: LockStmt; cls: string; lastInBlock: boolean }

export function pairs(files: Record<string, string>): Pair[] {
  const stmts = lockStatements(files);
  const out: Pair[] = [];
  for (const l of stmts) {
    const m = CLASS[l.call.name];
    if (!m || l.op !== 'acquire') continue;
    const src = files[l.file];
    const toks = tokenize(src);
    const u = stmts.find((o) => o.file === l.file && o.fn.start === l.fn.start && o.op === 'release' && o.lock === l.lock && o.call.start > l.call.start);
    if (!u || u.call.name !== m[1] || u.depth !== l.depth) continue;
    const between = toks.filter((t) => t.start >= l.end && t.end <= u.call.start);
    let d = 0;
    let ok = true;
    for (const t of between) {
      if (t.text === '{') d++;
      if (t.text === '}' && --d < 0) ok = false;
      if (['return', 'goto', 'break', 'continue'].includes(t.text) || t.kind === 'pp') ok = false;
    }
    // no declarations between: a line starting with a type
    if (/^[ \t]*(?:struct|union|enum|unsigned|int|long|char|void|bool|u64|size_t|\w+_t)\b[^=(;]*[\w\]]\s*[;=]/m.test(src.slice(l.end, u.call.start))) ok = false;
    if (!ok || d !== 0) continue;
    const next = toks.find((t) => t.start >= u.end);
    const closeOfBlock = next?.text === '}';
    // the block's `}` must be the one that closes the block holding the pair
    let lastInBlock = false;
    if (closeOfBlock) {
      const k = toks.indexOf(next!);
      let depth = 0;
      for (let j = k; j >= 0; j--) {
        if (toks[j].text === '}') depth++;
        if (toks[j].text === '{' && --depth === 0) { lastInBlock = matching(toks, j) === k && toks[j].start < l.call.start; break; }
      }
    }
    out.push({ lock: l, unlock: u, cls: m[0], lastInBlock });
  }
  return out;
}

function rewrite(files: Record<string, string>, form: 'guard' | 'scoped') {
  const edits: Record<string, Edit[]> = {};
  for (const p of pairs(files)) {
    if (form === 'guard' && !p.lastInBlock) continue;
    const file = p.lock.file;
    const src = files[file];
    const lockArg = p.lock.call.args[0];
    const es = (edits[file] ??= []);
    if (form === 'guard') {
      es.push({ start: p.lock.call.start, end: p.lock.end, text: '', pieces: [lit(`guard(${p.cls})(`), copy(file, lockArg.start, lockArg.end), lit(');')] });
      es.push({ start: p.unlock.lineStart, end: p.unlock.lineEnd, text: '' });
      continue;
    }
    es.push({ start: p.lock.call.start, end: p.lock.end, text: '', pieces: [lit(`scoped_guard(${p.cls}, `), copy(file, lockArg.start, lockArg.end), lit(') {')] });
    // indent the lines between by one tab; the unlock line becomes the closing brace
    for (let at = p.lock.lineEnd; at < p.unlock.lineStart; at = src.indexOf('\n', at) + 1) if (src[at] !== '\n') es.push({ start: at, end: at, text: '\t' });
    const pieces: Piece[] = [lit(`${p.unlock.indent}}`)];
    es.push({ start: p.unlock.lineStart, end: p.unlock.lineEnd - 1, text: '', pieces });
  }
  return editFiles(files, edits);
}

export const guards: Family = {
  name: 'guard',
  variants(fx) {
    const out: Variant[] = [];
    const a = rewrite(fx.files, 'guard');
    if (a) out.push({ label: 'guard()', rewritten: a });
    const b = rewrite(fx.files, 'scoped');
    if (b) out.push({ label: 'scoped_guard() { }', rewritten: b });
    return out;
  },
};

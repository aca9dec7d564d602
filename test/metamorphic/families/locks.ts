/** Lock statements of a function body, shared by the trylock and guard families. */
import { LOCK_OPS } from '../../../server/src/kb/locks';
import { calls, Call, FnDef, lineOf, sources, tokenize, Tok } from '../text';

export interface LockStmt {
  file: string;
  fn: FnDef;
  call: Call;
  /** The lock expression as written (`&it->ilock`). */
  lock: string;
  op: 'acquire' | 'release';
  /** Brace depth inside the function body (1: directly in it). */
  depth: number;
  /** Offsets of the whole line holding the statement `name(args);` alone. */
  lineStart: number;
  lineEnd: number;
  indent: string;
  /** The statement's `;` end offset. */
  end: number;
}

/** Lock and unlock calls that are a whole statement on their own line, at block level. */
export function lockStatements(files: Record<string, string>): LockStmt[] {
  const out: LockStmt[] = [];
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const depthAt = (fn: FnDef, k: number) => {
      let d = 0;
      for (let j = fn.bodyOpen; j < k; j++) { if (toks[j].text === '{') d++; else if (toks[j].text === '}') d--; }
      return d;
    };
    for (const c of calls(src, toks)) {
      const op = LOCK_OPS[c.name];
      if (!op || (op.op !== 'acquire' && op.op !== 'release') || op.conditional || !c.args.length) continue;
      const prev: Tok | undefined = toks[c.nameTok - 1];
      const semi = toks.findIndex((t) => t.start >= c.end);
      if (!prev || !/^[;{}]$/.test(prev.text) || toks[semi]?.text !== ';') continue;
      const line = lineOf(src, c.start);
      if (line.start + line.indent.length !== c.start || src.slice(toks[semi].end, line.end).trim()) continue;
      const lockArg = c.args[(op as { lockArg?: number }).lockArg ?? 0]?.text;
      if (!lockArg) continue;
      out.push({ file, fn: c.fn, call: c, lock: lockArg, op: op.op, depth: depthAt(c.fn, c.nameTok), lineStart: line.start, lineEnd: line.end + 1, indent: line.indent, end: toks[semi].end });
    }
  }
  return out;
}

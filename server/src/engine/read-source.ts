/** Reading one source file safely: size limit, binary detection, vanished or unreadable files. */
import * as fs from 'fs';
import { looksBinary } from '../scan/prescan';

export type ReadResult = { ok: true; text: string; buf: Buffer; size: number; mtimeMs: number } | { ok: false; message: string };

export function readSource(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? 'file vanished before it could be read' : code === 'EACCES' ? 'permission denied' : `cannot open: ${code ?? (e as Error).message}` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, message: 'not a regular file' };
    if (st.size > maxBytes) {
      return { ok: false, message: `file is ${(st.size / 1048576).toFixed(1)} MB, above the ${(maxBytes / 1048576).toFixed(1)} MB limit (maxFileSize); skipped` };
    }
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const data = off < st.size ? buf.subarray(0, off) : buf;
    if (looksBinary(data)) return { ok: false, message: 'binary file (contains NUL bytes); skipped' };
    return { ok: true, text: data.toString('utf8'), buf: data, size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    return { ok: false, message: `read failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  } finally {
    fs.closeSync(fd);
  }
}

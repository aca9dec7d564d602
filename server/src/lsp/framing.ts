/**
 * A guard in front of the stdio JSON-RPC reader. vscode-jsonrpc handles a
 * body that is not JSON (it reports and continues), but after a broken
 * header (no or non-numeric Content-Length, a wrong length) it loses the
 * framing and the messages that follow. This transform forwards only
 * well-framed messages and, on garbage, skips to the next
 * `Content-Length:` header, so one bad message costs only itself.
 *
 * A real header cannot occur inside a JSON body: raw CR/LF are not allowed
 * in JSON strings and `Content-Length` is not JSON outside them.
 */
import { Transform, TransformCallback } from 'stream';

const HEADER_RE = /Content-Length:[ \t]*\d+\r\n(?:[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r\n)*\r\n/i;
const MAX_HEADER = 8192;

/** The Content-Length of a complete header block ("Name: value" lines, then an empty line), or undefined. */
export function validHeader(head: string): number | undefined {
  const lines = head.slice(0, -4).split('\r\n');
  let length: number | undefined;
  for (const l of lines) {
    const m = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(l);
    if (!m) return undefined;
    if (m[1].toLowerCase() === 'content-length') {
      if (!/^\d+$/.test(m[2].trim())) return undefined;
      length = Number(m[2].trim());
    }
  }
  return length;
}

export class FrameGuard extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** Declared length of the body being read, with its header; -1 while reading a header. */
  private expect = -1;
  private header: Buffer = Buffer.alloc(0);
  /** How much of the current body was already searched for a stray header. */
  private scanned = 0;

  constructor(private onGarbage: (what: string) => void) {
    super();
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
    } catch (e) {
      this.onGarbage(`framing error: ${(e as Error).message}`);
      this.buf = Buffer.alloc(0);
      this.expect = -1;
    }
    cb();
  }

  /** Drop everything before the next header found at or after `from`; false when none is there yet. */
  private resync(from: number, why: string): boolean {
    const text = this.buf.toString('latin1');
    const re = new RegExp(HEADER_RE.source, 'ig');
    re.lastIndex = from;
    const m = re.exec(text);
    const dropped = m ? m.index : Math.max(0, this.buf.length - MAX_HEADER);
    if (dropped > 0 || m) this.onGarbage(`${why}; skipped ${dropped} bytes`);
    this.buf = this.buf.subarray(dropped);
    this.expect = -1;
    return !!m;
  }

  private drain(): void {
    for (;;) {
      if (this.expect < 0) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buf.length > MAX_HEADER && !this.resync(1, 'no message header')) return;
          if (this.buf.length <= MAX_HEADER) return;
          continue;
        }
        const head = this.buf.subarray(0, end + 4).toString('latin1');
        const length = validHeader(head);
        if (length === undefined) {
          if (!this.resync(1, `bad message header ${JSON.stringify(head.slice(0, 80))}`)) return;
          continue;
        }
        this.expect = length;
        this.scanned = 0;
        this.header = this.buf.subarray(0, end + 4);
        this.buf = this.buf.subarray(end + 4);
      }
      // A header inside the declared body means the declared length was wrong (only new bytes are scanned).
      const from = Math.max(0, this.scanned - 64);
      const to = Math.min(this.buf.length, this.expect + 64);
      if (to > from) {
        const hm = new RegExp(HEADER_RE.source, 'i').exec(this.buf.subarray(from, to).toString('latin1'));
        if (hm && from + hm.index < this.expect) {
          this.onGarbage(`message body shorter than its Content-Length (${this.expect}); skipped ${from + hm.index} bytes`);
          this.buf = this.buf.subarray(from + hm.index);
          this.expect = -1;
          continue;
        }
        this.scanned = to;
      }
      if (this.buf.length < this.expect) return;
      const body = this.buf.subarray(0, this.expect);
      this.buf = this.buf.subarray(this.expect);
      this.expect = -1;
      this.push(Buffer.concat([this.header, body]));
    }
  }
}

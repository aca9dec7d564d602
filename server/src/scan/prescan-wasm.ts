/**
 * The pre-scan's byte search in WebAssembly (server/asm/prescan-scan.ts): one
 * SIMD pass per file instead of five Buffer.indexOf passes and a JS step per
 * `{`. On the kernel it scans 883 MB in about a quarter of the JS time; it is
 * what the workers' bulk pre-scan uses. The file is read straight into the
 * module's memory (`input`), so nothing is copied. prescan.ts stays the
 * reference (and the path for a single buffer): a test runs both over the same
 * inputs and requires the same results.
 */
import { PRESCAN_WASM } from './prescan-wasm.generated';

/** The parts of the WebAssembly API used here (this project's lib settings carry no DOM types). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: WasmMemory;
  scan(data: number, len: number, out: number, cap: number, opts: number): number;
  flags(): number;
  heapBase(): number;
}

/** Record kinds written by the module. */
export const REC = { macro: 0, def: 1, struct: 2, use: 3, export: 4 } as const;
export const OPT = { macros: 1, exports: 2 } as const;

const PAGE = 65536;
/** Zeros before and after the file: the scanner reads a little past both ends. */
const GUARD = 64;
const MIN_RECORDS = 1 << 16;
const REC_BYTES = 16;

export interface ScanResult {
  /** bit 0: creates caches; bit 1: allocates from a cache. */
  flags: number;
  /** Records of four i32 each: kind, start, end, name hash. */
  records: Int32Array;
  /** The file's bytes: the input buffer again, or a new view of it when the memory grew. */
  data: Buffer;
}

export class WasmScanner {
  private data: number;
  private view!: Buffer;
  private capacity = 0;

  private constructor(private x: Exports) {
    this.data = align(x.heapBase() + GUARD, 16);
  }

  /** Undefined where WebAssembly SIMD is not available (the JS pre-scan is used then). */
  static create(): WasmScanner | undefined {
    try {
      const mod = new WebAssembly.Module(Buffer.from(PRESCAN_WASM, 'base64'));
      return new WasmScanner(new WebAssembly.Instance(mod, {}).exports as unknown as Exports);
    } catch {
      return undefined;
    }
  }

  /** A buffer of `size` bytes in the module's memory to read a file into (valid until the next call). */
  input(size: number): Buffer {
    this.reserve(size, MIN_RECORDS);
    return this.view.subarray(0, size);
  }

  /** Scan the first `len` bytes of the last `input` buffer. */
  scan(len: number, opts: number): ScanResult {
    this.view.fill(0, len, len + GUARD);
    for (;;) {
      const out = this.outAt(len);
      const cap = Math.floor((this.x.memory.buffer.byteLength - out) / REC_BYTES);
      const count = this.x.scan(this.data, len, out, cap, opts);
      if (count <= cap) return { flags: this.x.flags(), records: new Int32Array(this.x.memory.buffer, out, count * 4), data: this.view.subarray(0, len) };
      // More names than room: grow and scan again. The file bytes stay where they are, but growing
      // detaches every view of the old memory, the caller's input buffer included.
      this.reserve(len, count);
    }
  }

  private outAt(len: number): number {
    return align(this.data + len + GUARD, 16);
  }

  private reserve(size: number, records: number): void {
    const need = this.outAt(size) + records * REC_BYTES;
    const mem = this.x.memory;
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE));
    if (this.capacity !== mem.buffer.byteLength) {
      this.capacity = mem.buffer.byteLength;
      this.view = Buffer.from(mem.buffer, this.data, this.capacity - this.data);
    }
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

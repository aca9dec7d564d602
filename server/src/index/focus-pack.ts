/**
 * The focused facts of a run (what `caches` and `check` read of the files that
 * create caches and of their callees), kept in one file beside the pre-scan
 * cache. One entry per source file cost the cold kernel run 470 new files and
 * ~0.3 s of system time on this machine's ext4; one file costs one write, and a
 * warm run reads it on this thread instead of 470 files in the workers.
 * An entry is used while its file keeps the size and mtime it had (the same
 * test the pre-scan cache trusts).
 */
import * as fs from 'fs';
import * as v8 from 'v8';
import type { FileFacts } from '../facts/types';
import { writeCacheFile } from './prescan-cache';

const VERSION = 1;

export interface PackEntry {
  size: number;
  mtimeMs: number;
  facts: FileFacts;
}

export function loadFocusPack(file: string): Map<string, PackEntry> {
  const out = new Map<string, PackEntry>();
  let v: { version: number; entries: [string, number, number, FileFacts][] };
  try {
    v = v8.deserialize(fs.readFileSync(file)) as typeof v;
  } catch {
    return out;
  }
  if (v?.version !== VERSION || !Array.isArray(v.entries)) return out;
  for (const [p, size, mtimeMs, facts] of v.entries) out.set(p, { size, mtimeMs, facts });
  return out;
}

export function saveFocusPack(file: string, entries: Map<string, PackEntry>): Promise<void> {
  return writeCacheFile(file, v8.serialize({ version: VERSION, entries: [...entries].map(([p, e]) => [p, e.size, e.mtimeMs, e.facts]) }));
}

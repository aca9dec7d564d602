/**
 * Simulation scenario documents (*.slabscenario.json): the template "New
 * Simulation Scenario" writes, and the checks beyond the JSON schema
 * (validateScenario's cross-references: unknown locks and caches, lock
 * balance, call cycles...) placed on the JSON value they are about. The
 * structural errors are left to VS Code's JSON validation against the
 * contributed schema, so nothing is reported twice.
 */
import { validateScenario } from '../../../simulator/src/validate-scenario';
import type { CacheModel, ModelStep } from '../../../simulator/src/model';
import type { ScenarioStep } from '../../../simulator/src/scenario-types';

export const SCENARIO_SUFFIX = '.slabscenario.json';

/** Caches a generated scenario takes from the workspace (those with a ctor or dtor first). */
export const TEMPLATE_MAX_CACHES = 3;

/**
 * The scenario "New Simulation Scenario" writes: built from the workspace's
 * caches when there are any (their object sizes and ctor/dtor steps as the
 * engine read them, the locks those take declared), else the self-contained
 * demonstration. A generated document that would not validate (a step the
 * scenario format cannot say) falls back to the demonstration.
 */
export function scenarioTemplate(name: string, caches: CacheModel[] = [], rel: (file: string) => string = (f) => f): string {
  if (caches.length) {
    const doc = templateFromCaches(name, caches, rel);
    if (doc && validateScenario(doc).ok) return `${JSON.stringify(doc, null, 2)}\n`;
  }
  return demoTemplate(name);
}

function scenarioSteps(steps: ModelStep[]): ScenarioStep[] {
  return steps.map((st) => {
    const { at: _at, ...rest } = st as ModelStep & { at?: unknown };
    void _at;
    return rest as ScenarioStep;
  });
}

function templateFromCaches(name: string, all: CacheModel[], rel: (file: string) => string): Record<string, unknown> | undefined {
  const picked = [...all.filter((c) => c.ctor || c.dtor), ...all.filter((c) => !c.ctor && !c.dtor)].slice(0, TEMPLATE_MAX_CACHES);
  if (!picked.length) return undefined;
  const names = new Set<string>();
  const caches = picked.map((c) => {
    let n = c.name.replace(/[^\w.-]+/g, '_') || 'cache';
    while (names.has(n)) n = `${n}_`;
    names.add(n);
    const out: Record<string, unknown> = { name: n, objectSize: Math.max(1, Math.round(c.objectSize.bytes)) };
    if (c.align && c.align !== 8) out.align = c.align;
    if (c.flags.length) out.flags = c.flags;
    if (c.ctor) out.ctor = { name: c.ctor.name, steps: scenarioSteps(c.ctor.steps) };
    if (c.dtor) out.dtor = { name: c.dtor.name, steps: scenarioSteps(c.dtor.steps) };
    return out;
  });
  const locks = new Map<string, string>();
  for (const c of picked) for (const st of [...(c.ctor?.steps ?? []), ...(c.dtor?.steps ?? [])]) if (st.kind === 'lock' && !locks.has(st.lock)) locks.set(st.lock, st.lockKind);
  const programs: Record<string, unknown>[] = [];
  for (const c of caches) {
    const cache = c.name as string;
    // Enough objects for about eight 4 KiB slabs, so emptied slabs outnumber what the per-CPU caches keep.
    const n = Math.min(4000, Math.max(160, Math.ceil((8 * 4096) / Math.max(8, c.objectSize as number))));
    programs.push(
      { cpus: 0, iterations: n, steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', cache, gfp: 'GFP_KERNEL' }, { kind: 'work', ns: 50 }] },
      { cpus: 0, iterations: n, steps: [{ kind: 'free', allocator: 'kmem_cache_free', cache }, { kind: 'work', ns: 50 }] },
      { cpus: 1, loop: true, steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', cache, gfp: 'GFP_KERNEL' }, { kind: 'work', ns: 500 }, { kind: 'free', allocator: 'kmem_cache_free', cache }, { kind: 'work', ns: 500 }] },
    );
  }
  // Reclaim frees the empty slabs CPU0 left behind: each dtor runs inside it.
  programs.push({ cpus: 0, iterations: 20, steps: [{ kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_KERNEL' }, { kind: 'reclaim' }, { kind: 'work', ns: 2000 }] });
  const from = picked.map((c) => `${c.name} (${rel(c.at.file)}:${c.at.startLine + 1})`).join(', ');
  return {
    version: 1,
    name,
    description: `Generated from the workspace's caches: ${from}. CPU0 fills and empties each cache, then enters direct reclaim, which frees the empty slabs and runs their dtors; CPU1 allocates and frees in a loop meanwhile. The ctor/dtor steps are what slabcheck read from the code (calls into workspace functions followed). Edit the programs to model your own paths: hold one of the dtor's locks around the GFP_KERNEL allocation to see a reclaim deadlock.`,
    machine: 'desktop-24',
    cpus: 2,
    seed: 1,
    durationNs: 2000000,
    ...(locks.size ? { locks: [...locks].map(([n, kind]) => ({ name: n, kind })) } : {}),
    caches,
    programs,
  };
}

function demoTemplate(name: string): string {
  const doc = {
    version: 1,
    name,
    description: 'CPU0 holds dev.mutex while it allocates with GFP_KERNEL under memory pressure; reclaim frees empty dev_obj slabs and runs their dtor inside that critical section. The dtor takes only a leaf spinlock with IRQs disabled, so there is no cycle. Change the dtor to take dev.mutex to see the deadlock.',
    machine: 'desktop-24',
    cpus: 2,
    seed: 1,
    durationNs: 2000000,
    locks: [
      { name: 'dev.mutex', kind: 'mutex' },
      { name: 'dev_stats_lock', kind: 'spin' },
    ],
    caches: [
      {
        name: 'dev_obj',
        objectSize: 256,
        ctor: { name: 'dev_obj_ctor', steps: [{ kind: 'alloc', allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, bytes: 8 }] },
        dtor: {
          name: 'dev_obj_dtor',
          steps: [
            { kind: 'lock', lock: 'dev_stats_lock', irq: 'irqsave' },
            { kind: 'work', ns: 100 },
            { kind: 'unlock', lock: 'dev_stats_lock' },
            { kind: 'free', allocator: 'free_percpu', percpu: true },
          ],
        },
      },
    ],
    programs: [
      { cpus: 0, iterations: 160, steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', cache: 'dev_obj', gfp: 'GFP_KERNEL' }, { kind: 'work', ns: 50 }] },
      { cpus: 0, iterations: 160, steps: [{ kind: 'free', allocator: 'kmem_cache_free', cache: 'dev_obj' }, { kind: 'work', ns: 50 }] },
      {
        cpus: 0,
        iterations: 20,
        steps: [
          { kind: 'lock', lock: 'dev.mutex' },
          { kind: 'work', ns: 300 },
          { kind: 'alloc', allocator: 'kmalloc', gfp: 'GFP_KERNEL' },
          { kind: 'reclaim' },
          { kind: 'unlock', lock: 'dev.mutex' },
          { kind: 'work', ns: 2000 },
        ],
      },
      { cpus: 1, loop: true, steps: [{ kind: 'work', ns: 1000 }, { kind: 'lock', lock: 'dev.mutex' }, { kind: 'work', ns: 300 }, { kind: 'unlock', lock: 'dev.mutex' }] },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** validateScenario messages a JSON schema cannot express (the schema reports the rest). */
const SEMANTIC = /declared twice|defined twice|appears twice|power of two|cannot be combined|is required when a program loops|unknown lock|unknown cache|unknown machine|loops forever|do not fit machine|conflicts with kind|call cycle|allocates from its own cache|which is not held|still held|at most \d+ are supported/;

export interface ScenarioProblem {
  /** Offsets into the text of the value the error is about (the whole document when unknown). */
  start: number;
  end: number;
  message: string;
}

/** Problems of a scenario text beyond its JSON syntax and schema ([] when it does not parse). */
export function scenarioProblems(text: string): ScenarioProblem[] {
  let doc: unknown;
  let tree: JsonNode | undefined;
  try {
    doc = JSON.parse(text);
    tree = parseJsonTree(text);
  } catch {
    return [];
  }
  const v = validateScenario(doc);
  if (v.ok) return [];
  const out: ScenarioProblem[] = [];
  for (const e of v.errors) {
    const m = /^([^:]*): (.*)$/s.exec(e);
    const msg = m ? m[2] : e;
    if (!SEMANTIC.test(msg)) continue;
    const node = m && tree ? locate(tree, m[1]) : undefined;
    out.push({ start: node?.start ?? 0, end: node?.end ?? Math.min(1, text.length), message: e });
  }
  return out;
}

// ---- a minimal JSON tree with offsets (for placing diagnostics) ----

export interface JsonNode {
  start: number;
  end: number;
  /** Property name node start (for object members), to point at the key. */
  keyStart?: number;
  children?: Map<string, JsonNode>;
}

export function parseJsonTree(text: string): JsonNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string => {
    const s = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(s, i)) as string;
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const children = new Map<string, JsonNode>();
      ws();
      if (text[i] === '}') {
        i++;
        return { start, end: i, children };
      }
      for (;;) {
        ws();
        const keyStart = i;
        const key = str();
        ws();
        if (text[i++] !== ':') throw new Error('expected :');
        const v = value();
        v.keyStart = keyStart;
        children.set(key, v);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== '}') throw new Error('expected }');
        return { start, end: i, children };
      }
    }
    if (c === '[') {
      i++;
      const children = new Map<string, JsonNode>();
      ws();
      if (text[i] === ']') {
        i++;
        return { start, end: i, children };
      }
      for (let n = 0; ; n++) {
        children.set(String(n), value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== ']') throw new Error('expected ]');
        return { start, end: i, children };
      }
    }
    if (c === '"') {
      str();
      return { start, end: i };
    }
    while (i < text.length && /[^\s,}\]]/.test(text[i])) i++;
    return { start, end: i };
  };
  return value();
}

/** The node at a validateScenario path ("programs[2].steps[0].lock"); the deepest existing one. */
export function locate(root: JsonNode, p: string): JsonNode {
  let node = root;
  for (const seg of p.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== '')) {
    const next = node.children?.get(seg);
    if (!next) break;
    node = next;
  }
  return node;
}

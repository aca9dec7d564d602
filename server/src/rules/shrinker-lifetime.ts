import * as fs from 'fs';
import type { Rule } from './types';
import type { ShrinkerInfo } from '../contexts/registry';
import { shrinkerLabel } from '../contexts/registry';
import { SHRINKER_API } from '../kb/contexts';
import type { Span } from '../facts/types';
import type { Analysis, FnRef } from '../index/analysis';
import { unparen } from '../facts/arg-ref';

const FREES = new Set<string>([...SHRINKER_API.free, ...SHRINKER_API.oldUnregister]);
const lastIdent = (t: string) => /([A-Za-z_]\w*)\s*$/.exec(t.replace(/\s+/g, ''))?.[1];
const norm = (t: string) => unparen(t.replace(/\s+/g, '').replace(/^&/, ''));

/** Whether `ref` frees its parameter `i`, itself or through helpers (and macros) it passes it to. */
function freesParam(a: Analysis, ref: FnRef, i: number, depth = 0): boolean {
  const param = ref.fn.params[i]?.name;
  if (!param || depth > 3) return false;
  return ref.fn.events.some((e) => {
    if (e.k === 'free') return e.arg !== undefined && norm(e.arg) === param;
    if (e.k !== 'call') return false;
    const j = (e.args ?? []).findIndex((x) => norm(x.t) === param);
    const callee = j >= 0 ? a.resolve(e.fn, ref.file) : undefined;
    return !!callee && freesParam(a, callee, j, depth + 1);
  });
}
const before = (a: Span, b: Span) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export const shrinkerLifetime: Rule = {
  meta: {
    id: 'shrinker-lifetime',
    defaultSeverity: 'error',
    description: 'The object a shrinker reaches (private_data, or the struct that embeds it) is freed before shrinker_free()/unregister_shrinker(), or a module teardown never frees the shrinker.',
    semantics: 'any',
    explanation: [
      'Until `shrinker_free()` (or `unregister_shrinker()`) returns, reclaim may call the callbacks, and they reach their',
      'object through `shrinker->private_data` (or `container_of()` on an embedded shrinker). Freeing that object first is a',
      'use-after-free the next time memory is short. The lockless-shrink series (seeds/003) made the other order cheap:',
      '`shrinker_free()` drops the registration reference and waits only for the callbacks in flight (`wait_for_completion(&shrinker->done)`,',
      'mm/shrinker.c 6.12), not for an RCU grace period: the shrinker itself is freed by `call_rcu()`, so the owner can be freed right after it.',
      '',
      'A module that registers a shrinker and whose exit path (`module_exit()`) never calls `shrinker_free()` leaves the',
      'callbacks registered after the module text is gone.',
      '',
      '**Fix:** call `shrinker_free()` first, then free the object.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    const a = ctx.analysis;
    // The object the callbacks reach: private_data's value, or the struct the shrinker is embedded in (`x->sh`).
    const owner = s.privateData ? norm(s.privateData.expr) : s.api === 'register_shrinker' ? /^(.*?)(?:->|\.)\w+$/.exec(norm(s.target))?.[1] : undefined;
    for (const f of s.frees) {
      const file = f.file ?? s.file;
      const fn = f.inFunction ? a.functionsIn(file).find((x) => x.name === f.inFunction && !x.stub) : undefined;
      if (!fn || !owner) continue;
      // In the function that frees the shrinker: the owner freed first.
      let freedFirst: { at: Span; fn: string } | undefined = fn.events.find((e) => e.k === 'free' && e.arg !== undefined && norm(e.arg) === owner && before(e.at, f.at));
      // Or through a helper (or a wrapper macro) that frees the parameter the owner is passed as.
      freedFirst ??= fn.events.find((e) => {
        if (e.k !== 'call' || !before(e.at, f.at)) return false;
        const i = (e.args ?? []).findIndex((x) => norm(x.t) === owner);
        const callee = i >= 0 ? a.resolve(e.fn, file) : undefined;
        return !!callee && freesParam(a, callee, i);
      });
      if (!freedFirst) continue;
      ctx.report({
        file, span: freedFirst.at,
        related: [
          { file, span: f.at, note: `${f.api}() of ${shrinkerLabel(s)} comes after; until it returns reclaim may run the callbacks` },
          ...(s.privateData ? [{ file: s.file, span: s.privateData.at, note: `the callbacks reach ${owner} through private_data` }] : []),
        ],
        message: `${fn.name}() frees ${owner} with ${freedFirst.fn}() before ${f.api}() of ${shrinkerLabel(s)}: reclaim may still run the callbacks on the freed object`,
      });
    }
    if (!s.register || s.frees.length) return;
    // Freed anywhere the registry read (another function or file, through the same field)?
    const id = lastIdent(s.target);
    for (const facts of a.project.facts.values()) {
      for (const c of facts.entries?.calls ?? []) if (FREES.has(c.api) && c.args[0] && lastIdent(c.args[0]) === id) return;
    }
    // Only a module has a teardown to check; built-in shrinkers live as long as the kernel.
    const exit = moduleExit(a.project.overlays.get(s.file) ?? safeRead(s.file));
    if (!exit) return;
    ctx.report({
      file: s.file, span: s.register.at, related: [],
      message: `${shrinkerLabel(s)} is registered by ${s.register.api}() but never freed: no ${[...FREES].join('()/')}() of ${s.target} in the workspace, and this file has a module teardown (module_exit(${exit}))`,
    });
  },
};

function moduleExit(text: string | undefined): string | undefined {
  return text ? /^\s*module_exit\s*\(\s*(\w+)\s*\)/m.exec(text)?.[1] : undefined;
}

function safeRead(f: string): string | undefined {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

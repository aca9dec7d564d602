/** `npm run bench`: every benchmark, figures printed (never asserted). */
import { benchEngine } from './engine';

async function optional(modPath: string, fn: string): Promise<void> {
  let mod: Record<string, () => Promise<void>>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require(modPath);
  } catch {
    return;
  }
  if (typeof mod[fn] === 'function') await mod[fn]();
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === 'engine') await benchEngine();
  if (!only || only === 'simulator') await optional('./simulator', 'benchSimulator');
  if (!only || only === 'lsp') await optional('./lsp', 'benchLsp');
  if (!only || only === 'parsers') await optional('./parsers', 'benchParsers');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

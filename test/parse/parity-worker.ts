/**
 * One backend's view of C sources, for the parity test: run in a worker thread whose
 * SLABCHECK_PARSER chooses the backend. Per source: the tree's S-expression, and the facts
 * of the three extractions (full, focused on creations, lock-graph bodies) as JSON.
 */
import { parentPort } from 'worker_threads';
import { extractFacts } from '../../server/src/facts/extract';
import { disposeTree, initParser, liveTrees, parseC, parserInfo } from '../../server/src/parse/parser';

export interface ParitySource { name: string; text: string }
export interface ParityAnswer { parser: string; results: { name: string; tree: string; full: string; focus: string; quiet: string }[]; liveTrees: number }

parentPort!.once('message', async (sources: ParitySource[]) => {
  try {
    await initParser();
    const results = sources.map(({ name, text }) => {
      const t = parseC(text);
      const tree = t.rootNode.toString();
      disposeTree(t);
      return {
        name,
        tree,
        full: JSON.stringify(extractFacts(name, text)),
        focus: JSON.stringify(extractFacts(name, text, undefined, { focus: 'creations' })),
        quiet: JSON.stringify(extractFacts(name, text, undefined, { quietBodies: true })),
      };
    });
    const answer: ParityAnswer = { parser: parserInfo()!, results, liveTrees: liveTrees() };
    parentPort!.postMessage(answer);
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).stack ?? String(e) });
  }
});

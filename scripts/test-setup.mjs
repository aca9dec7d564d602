// Preloaded into every test process (node --test --import): loads the C parser once,
// since the wasm backend (SLABCHECK_PARSER=wasm, or no native tree-sitter) loads asynchronously.
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
await require('../out/server/src/parse/parser.js').initParser();

/**
 * Mocha entry loaded by the extension host through extensionTestsPath (what
 * @vscode/test-electron runs; here test/e2e/run-exthost-tests.js runs it in
 * code-server's extension host). Prints one result line the runner parses
 * and, when SLABCHECK_E2E_RESULTS is set, writes the counts there.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith('.e2e.js')) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? { passes: 0, failures };
        const result = { passed: stats.passes, failed: stats.failures };
        console.log(`SLABCHECK_E2E_RESULT ${JSON.stringify(result)}`);
        const out = process.env.SLABCHECK_E2E_RESULTS;
        if (out) {
          try {
            fs.writeFileSync(out, JSON.stringify(result));
          } catch {
            /* the console line is enough */
          }
        }
        if (failures > 0) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
      runner.on('pass', (t) => console.log(`  ok   ${t.fullTitle()}`));
      runner.on('fail', (t, err) => console.log(`  FAIL ${t.fullTitle()}: ${(err as Error).message}`));
    } catch (e) {
      reject(e);
    }
  });
}

// The extension-host suite through @vscode/test-electron's runTests(), the standard entry of
// VS Code extension tests. With SLABCHECK_VSCODE=download (a machine with internet) it downloads
// VS Code and runs the suite there; otherwise its executable is code-server-launcher.js, which
// runs the same suite in code-server (started by scripts/e2e.sh; CS_URL, WS from there).
'use strict';
const path = require('path');
const { runTests } = require('@vscode/test-electron');

const root = path.resolve(__dirname, '..', '..');
const ws = process.env.WS || path.join(root, 'test', 'e2e', 'fixtures', 'kernel-ws');
(async () => {
  try {
    const code = await runTests({
      ...(process.env.SLABCHECK_VSCODE === 'download' ? {} : { vscodeExecutablePath: path.join(__dirname, 'code-server-launcher.js'), reuseMachineInstall: true }),
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'e2e', 'suite', 'index'),
      launchArgs: [ws],
    });
    console.log(`runTests: exit code ${code}`);
    process.exit(code);
  } catch (e) {
    console.error(`runTests: ${e.message}`);
    process.exit(1);
  }
})();

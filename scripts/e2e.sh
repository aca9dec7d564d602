#!/usr/bin/env bash
# End-to-end tests of the slabcheck extension in a REAL VS Code, offline (only
# the npm registry and Debian apt are reachable). VS Code = code-server 4.100.3
# (VS Code 1.100.3, Node-20 remote extension host) driven by playwright-core +
# Debian chromium. Adapted from /work/shared/tools/vscode-e2e/run-real-vscode.sh
# with its workarounds. Runs
#   (a) test/e2e/ui.js: the packaged .vsix installed in a fresh profile, on the
#       kernel-style fixture: Problems panel with evidence, hover, quick fix,
#       screenshots in test/e2e/artifacts/;
#   (b) test/e2e/suite (mocha) inside code-server's extension host, with the
#       repository as extensionDevelopmentPath.
# The last line is "N passed, N failed"; the exit status is 0 only when all pass.
#   usage: [E2E=/tmp/slabcheck-e2e] [PORT=18093] bash scripts/e2e.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E=${E2E:-/tmp/slabcheck-e2e}; PORT=${PORT:-18093}
CS_VERSION=4.100.3            # last code-server whose engines.node is 20 (4.103+ need 22)
RUN=$E2E/run; CSDIR=$E2E/cs; CS=$CSDIR/node_modules/.bin/code-server
ARTIFACTS=$ROOT/test/e2e/artifacts
PASSED=0; FAILED=0; CS_PID=
t0=$SECONDS; step() { echo "=== [$((SECONDS - t0))s] $*"; }

cleanup() {  # stop the whole process group we started (server, file watcher, extension hosts)
  [ -n "$CS_PID" ] || return 0
  kill -- -"$CS_PID" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 -- -"$CS_PID" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 -- -"$CS_PID" 2>/dev/null || true
}
finish() {
  cleanup
  echo "=== [$((SECONDS - t0))s] done; artifacts in $ARTIFACTS, logs in $RUN"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ] && exit 0
  exit 1
}
setup_failed() { echo "SETUP FAILED: $*"; FAILED=$((FAILED + 1)); finish; }
trap 'cleanup' EXIT

# Keep temp files and code-server/chromium side files (~/.config, ~/.cache) inside $E2E.
export TMPDIR=$E2E/tmp XDG_CONFIG_HOME=$E2E/xdg/config XDG_CACHE_HOME=$E2E/xdg/cache XDG_DATA_HOME=$E2E/xdg/data
mkdir -p "$TMPDIR" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$ARTIFACTS"

step "1. system packages: chromium, ripgrep, toolchain for code-server's native modules"
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || [ ! -e /usr/include/krb5.h ]; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq || setup_failed "apt-get update"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium ripgrep libkrb5-dev build-essential python3 curl \
    || setup_failed "apt-get install chromium ripgrep"
fi
[ -f /usr/include/node/node_version.h ] || setup_failed "need node headers in /usr/include/node (node-gyp cannot download them)"

step "2. code-server $CS_VERSION from npm into $CSDIR (builds node-pty, kerberos, spdlog from source)"
if [ ! -x "$CS" ]; then
  # @vscode/ripgrep's postinstall downloads rg from GitHub; it first looks in
  # $TMPDIR/vscode-ripgrep-cache-<ver>/, so seed that cache with Debian's rg.
  case "$(uname -m)" in x86_64) RGT=x86_64-unknown-linux-musl ;; aarch64) RGT=aarch64-unknown-linux-musl ;; *) RGT=unknown ;; esac
  RGC=$TMPDIR/vscode-ripgrep-cache-1.15.11; mkdir -p "$RGC" "$TMPDIR/rg"; cp "$(command -v rg)" "$TMPDIR/rg/rg"
  tar czf "$RGC/ripgrep-v13.0.0-10-$RGT.tar.gz" -C "$TMPDIR/rg" rg
  mkdir -p "$CSDIR"
  ( cd "$CSDIR" && echo '{"name":"cs","private":true}' > package.json &&
    # unsafe_perm: postinstall refuses root without it; yes: node-pty's postinstall
    # runs `npx node-gyp`; nodedir: node-gyp must use the local headers.
    npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
      npm install --no-audit --no-fund "code-server@$CS_VERSION" ) || setup_failed "npm install code-server@$CS_VERSION"
fi
"$CS" --version | head -1 || setup_failed "code-server does not run"

step "3. build and package the extension (this platform's .vsix: wasm parser + native tree-sitter for it), compile the suite"
cd "$ROOT" || setup_failed "cd $ROOT"
[ -d node_modules/@vscode/vsce ] || npm ci --no-audit --no-fund || setup_failed "npm ci"
VSIX=$E2E/slabcheck.vsix
node client/package-vsix.js --target "$(node -p 'process.platform + "-" + process.arch')" --out "$VSIX" || setup_failed "packaging the .vsix"
node node_modules/typescript/bin/tsc -p test/e2e || setup_failed "compiling test/e2e/suite"

step "4. fresh VS Code profile, two copies of the kernel-style workspace, install the .vsix, start code-server on 127.0.0.1:$PORT"
rm -rf "$RUN"; mkdir -p "$RUN/data/User"
cp -r test/e2e/fixtures/kernel-ws "$RUN/ws-ui"
cp -r test/e2e/fixtures/kernel-ws "$RUN/ws-ext"
cat > "$RUN/data/User/settings.json" <<'EOF'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false, "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "update.mode": "none", "workbench.tips.enabled": false,
  "workbench.enableExperiments": false, "chat.disableAIFeatures": true, "git.enabled": false,
  "files.hotExit": "off", "editor.hover.delay": 200 }
EOF
CSARGS=(--config /dev/null --user-data-dir "$RUN/data" --extensions-dir "$RUN/exts")
"$CS" "${CSARGS[@]}" --install-extension "$VSIX" --force > "$RUN/install.log" 2>&1 || { cat "$RUN/install.log"; setup_failed "installing the .vsix"; }
grep -q "slabcheck" "$RUN/install.log" && tail -1 "$RUN/install.log"
export SLABCHECK_E2E_RESULTS=$RUN/exthost-results.json
# The extension's server caches facts under $XDG_CACHE_HOME/slabcheck: keep it in the scratch dir.
setsid "$CS" "${CSARGS[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$RUN/ws-ui" > "$RUN/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { tail -20 "$RUN/code-server.log"; setup_failed "code-server did not start"; }

count() {  # add {passed, failed} from a results file; a missing file counts as one failure
  local f=$1 p q
  if [ -f "$f" ]; then
    p=$(node -e 'const r=require(process.argv[1]);process.stdout.write(String(r.passed|0))' "$f")
    q=$(node -e 'const r=require(process.argv[1]);process.stdout.write(String(r.failed|0))' "$f")
    PASSED=$((PASSED + p)); FAILED=$((FAILED + q))
  else
    FAILED=$((FAILED + 1))
  fi
}
export CS_URL="http://127.0.0.1:$PORT" CHROMIUM=$(command -v chromium) ARTIFACTS

step "5a. UI test (installed .vsix): Problems panel + evidence, hover on the dtor lock, quick fix, screenshots"
rm -f "$RUN/ui-results.json"
WS="$RUN/ws-ui" UI_RESULTS="$RUN/ui-results.json" node test/e2e/ui.js
count "$RUN/ui-results.json"

step "5b. mocha suite inside the code-server extension host, through @vscode/test-electron's runTests() (extensionDevelopmentPath = $ROOT)"
rm -f "$SLABCHECK_E2E_RESULTS"
WS="$RUN/ws-ext" EXTHOST_RESULTS="$SLABCHECK_E2E_RESULTS" node test/e2e/run-test-electron.js
count "$SLABCHECK_E2E_RESULTS"
cp "$RUN/code-server.log" "$ARTIFACTS/code-server.log" 2>/dev/null || true

finish

#!/usr/bin/env node
// Cold runs of two or more builds taken in turns, for a ratio that survives this VM's
// speed drifting between runs (20-40% within an hour). Each run gets a fresh --cache-dir.
//   node bench/ab-cold.js --runs 8 --tree /path/to/linux caches /path/to/buildA /path/to/buildB
// A build is a checkout (or a copy of bin/, out/ and package.json with node_modules) whose
// bin/slabcheck.js runs. Prints the median, min and max wall and CPU time of each build.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const runs = Number(opt('--runs', '6'));
const tree = opt('--tree', process.env.SLABCHECK_LINUX || '/work/linux/linux-source-6.12');
const [cmd, ...builds] = args;
if (!cmd || builds.length < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/ab-cold.js [--runs N] [--tree DIR] <caches|check|locks> <build> [<build>...]');
  process.exit(2);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map(builds.map((b) => [b, []]));
for (let i = 0; i < runs; i++) {
  for (const b of builds) {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-ab-'));
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, path.join(b, 'bin', 'slabcheck.js'), cmd, '--cache-dir', cache, tree], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    fs.rmSync(cache, { recursive: true, force: true });
    const last = r.stderr.trim().split('\n').pop() ?? '';
    const [u, s, kb] = last.split(' ').map(Number);
    results.get(b).push({ wall, cpu: u + s, rssMb: kb / 1024 });
  }
}
for (const [b, rs] of results) {
  const w = rs.map((r) => r.wall);
  console.log(`${b}: wall median ${median(w).toFixed(2)} s (${Math.min(...w).toFixed(2)}-${Math.max(...w).toFixed(2)}), cpu median ${median(rs.map((r) => r.cpu)).toFixed(2)} s, peak RSS ${median(rs.map((r) => r.rssMb)).toFixed(0)} MB, ${rs.length} runs`);
}

/**
 * `slabcheck <command> --help`: each command's usage, options and examples, as git and cargo
 * print them. The options every command shares are listed once, in COMMON.
 */

export const EXIT_CODES = `exit status:
  0  no error-severity finding (warnings and infos do not fail)
  1  errors found (check)
  2  bad usage (an unknown option, a bad value), or a path that cannot be read
  3  incomplete: a rule failed on a cache (an internal-error finding names it; the other results stand)`;

export const COMMON = `common options:
  --semantics auto|mainline|dtor-rfc  ctor/dtor semantics (default auto: .slabcheck.json, else dtor-rfc
                                when the tree's include/linux/slab.h declares kmem_cache_args.dtor, else mainline)
  --jobs N                       worker threads (default: number of CPUs)
  --config FILE                  a .slabcheck.json to use
  --no-cache                     do not read or write the content-hash cache
  --cache-dir DIR                where the cache lives
  -o, --output FILE              write the report to FILE
  colour: on a terminal only, never when NO_COLOR is set (https://no-color.org)`;

const HELP: Record<string, string> = {
  check: `usage: slabcheck check [paths...] [--format text|json|sarif] [common options]

Runs every rule over the workspace (default: the current directory) and prints each finding
gcc-style (file:line:col: severity: message [rule-id]) with its evidence as indented note: lines.
A tree of more than 1,500 files is read on demand (a text pre-scan, then only what the analysis needs).

options:
  --format text|json|sarif   text (default), JSON (findings, caches, counts), SARIF 2.1.0 for CI

examples:
  slabcheck check examples/percpu-cache
  slabcheck check /usr/src/linux --format sarif -o slabcheck.sarif
  slabcheck check drivers/net --semantics dtor-rfc --jobs 2`,
  caches: `usage: slabcheck caches [paths...] [--format text|json] [--all] [common options]

Lists the slab caches the workspace creates (kmem_cache_create() and its forms), with the
constructor and destructor each is given, how they were resolved, and what they do (allocations,
locks, may-sleep) with evidence. The JSON is the simulator's cache-model input.

options:
  --format text|json   output format (default text)
  --all                also caches with neither ctor nor dtor

examples:
  slabcheck caches examples/percpu-cache
  slabcheck caches . --format json -o /tmp/models.json`,
  contexts: `usage: slabcheck contexts [paths...] [--format text|json] [--context ID] [common options]

Lists every entry point of the workspace, grouped by the execution context it runs in:
slab constructors and destructors (found by their cache creation), shrinker callbacks
(count_objects/scan_objects, found by shrinker_alloc()/shrinker_register(), register_shrinker()
or a designated initialiser), NMI handlers (register_nmi_handler(), perf overflow handlers,
request_nmi()), tracing callbacks (kprobe pre/post handlers, ftrace_ops .func, register_trace_*()
probes, BPF_CALL_n helpers) and primary hardirq handlers (request_irq() and friends), each with
where and how it was registered, its definition, and what the context allows (may sleep, IRQs,
reclaim, NMI, safe gfp). Contexts and entry-point patterns are data: server/src/kb/contexts.ts.

options:
  --format text|json   output format (default text)
  --context ID         only this context (slab-ctor, slab-dtor, shrinker-count, shrinker-scan, nmi, tracing, hardirq)

examples:
  slabcheck contexts . --context nmi
  slabcheck contexts /usr/src/linux --format json -o contexts.json`,
  locks: `usage: slabcheck locks [paths...] [--format text|json|dot] [--class NAME [--held-under]] [common options]

The lock graph: every lock class (named as lockdep keys them: struct.field, a global, file.c:static)
and what nests under it, leaves marked, each edge with the shortest evidence chain. On a big tree
the graph is stored and the next run reads it.

options:
  --format text|json|dot   text (default), JSON (version 2: each evidence step once in a table), Graphviz
  --class NAME             one class: leaf or not, what nests under it and what it nests under, with evidence
                           (may be repeated)
  --held-under             with --class: what is held at each acquisition site, and the outliers

examples:
  slabcheck locks examples/percpu-cache --format dot | dot -Tsvg > locks.svg
  slabcheck locks /usr/src/linux --class pcpu_lock
  slabcheck locks . --class zspage.lock --held-under`,
  kb: `usage: slabcheck kb verify [tree] [--format text|json] [common options]

Checks the knowledge base's claims (the kernel functions it describes outside the workspace, the
locks it calls leaves) against the tree's code: each agrees, disagrees (with what the code does),
is ambiguous (several definitions) or is not in the tree.

options:
  --format text|json   output format (default text)

examples:
  slabcheck kb verify /usr/src/linux-source-6.12`,
  lsp: `usage: slabcheck lsp --stdio

Runs the language server on stdin/stdout (LSP 3.17) for any editor: diagnostics with evidence,
hovers, code lenses, quick fixes, the lock graph and the simulator commands. VS Code starts it
from the extension; elsewhere point the editor's LSP client at this command.

examples:
  slabcheck lsp --stdio`,
  rules: `usage: slabcheck rules

Prints every rule with its default severity, the semantics it applies to, and its explanation
(the kernel code and mailing-list discussion it comes from, and the fix).

examples:
  slabcheck rules | less`,
};

/** The help of `command`, or undefined for an unknown one (simulate prints its own). */
export function commandHelp(command: string): string | undefined {
  const h = HELP[command];
  if (!h) return undefined;
  const shared = command === 'lsp' || command === 'rules' ? '' : `\n\n${COMMON}`;
  return `${h}${shared}\n\n${EXIT_CODES}`;
}

export const COMMANDS = Object.keys(HELP);

/** Colour on a terminal, never under NO_COLOR (any value) or TERM=dumb. */
export function useColour(stream: { isTTY?: boolean }): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

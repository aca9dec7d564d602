import type { Rule } from './types';

/** Never silent: an NMI, tracing or hardirq registration whose function is not read. */
export const nmiUnresolvedEntry: Rule = {
  meta: {
    id: 'nmi-unresolved-entry',
    defaultSeverity: 'info',
    description: 'An NMI, tracing or hardirq registration names a function slabcheck could not read: nothing was checked on it.',
    semantics: 'any',
    explanation: [
      'slabcheck finds the functions registered for NMI (`register_nmi_handler()`, perf overflow handlers, `request_nmi()`),',
      'tracing (kprobe handlers, `struct ftrace_ops` `.func`, `register_trace_*()` probes, `BPF_CALL_n` helpers) and hardirq',
      '(`request_irq()` and friends, the primary handler) by their registration. When the value is not a function name',
      '(an expression, a table entry) or the function has no definition in the workspace, no rule of those contexts ran on it;',
      'this finding says so instead of staying silent.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep) {
    if (ep.fn) return;
    ctx.report({ file: ep.registeredAt.file, span: ep.registeredAt.span, related: [], entry: ep.name, message: `${ep.role} registered by ${ep.owner}: ${ep.unresolved}; no ${ep.context.id} rule ran on it` });
  },
};

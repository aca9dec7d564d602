/**
 * Phase timings on stderr when SLABCHECK_TRACE is set (for tuning cold runs:
 * which phase the wall time goes to, and what the workers wait on), with this
 * thread's resident memory at that point.
 */
const on = !!process.env.SLABCHECK_TRACE;
const t0 = Date.now();

/** `phase` may be a function: what it costs to say is paid only when tracing. */
export function trace(phase: string | (() => string)): void {
  if (on && typeof phase === 'function') phase = phase();
  if (on) process.stderr.write(`slabcheck-trace: +${Date.now() - t0} ms ${phase} (rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB)\n`);
}

/** Logging through window/logMessage (the client's output channel), never stdout. */
import type { Connection } from 'vscode-languageserver/node';

export class Logger {
  constructor(private connection: Connection | undefined) {}

  info(msg: string): void {
    this.send('info', msg);
  }

  warn(msg: string): void {
    this.send('warn', msg);
  }

  error(msg: string, e?: unknown): void {
    const detail = e === undefined ? '' : `: ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
    this.send('error', `${msg}${detail}`);
  }

  private send(level: 'info' | 'warn' | 'error', msg: string): void {
    try {
      if (this.connection) this.connection.console[level](msg);
      else process.stderr.write(`[slabcheck ${level}] ${msg}\n`);
    } catch {
      try {
        process.stderr.write(`[slabcheck ${level}] ${msg}\n`);
      } catch {
        /* nowhere left to log */
      }
    }
  }
}

/** Run a handler; on error log it and answer with the fallback so the server keeps serving. */
export function guard<P extends unknown[], R>(log: Logger, name: string, fallback: R, fn: (...args: P) => R | Promise<R>): (...args: P) => Promise<R> {
  return async (...args: P) => {
    try {
      return await fn(...args);
    } catch (e) {
      log.error(`${name} failed`, e);
      return fallback;
    }
  };
}

/** Structured logs (pino) that always carry the agent, and room and job ids once known. */
import { type Logger, pino } from 'pino';

export type { Logger };

export interface LogContext {
  agent: string;
  room?: string;
  job?: string;
  [key: string]: unknown;
}

export function createLogger(context: LogContext, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid, ...context } });
}

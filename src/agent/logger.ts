// The agent's log: pino JSON lines on stdout (or a given stream), one object per event.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** What the agent's components log through (a pino logger or a child of one). */
export type AgentLogger = Pick<Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'>;

export function createAgentLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { name: 'tabby-agent', pid: process.pid } };
  // Synchronous writes: a line logged just before an exit or a SIGKILL is not lost.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

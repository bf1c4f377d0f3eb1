// What a command needs from the outside world, injected so tests can run
// commands in-process with captured output.
import type { ResourceStore } from '../datastore/resource-store.js';

export interface CliContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Whole standard input as text (for `-f -` and `rule update`). */
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
  /** Opens the datastore chosen by env (ETCD_ENDPOINTS, else the embedded store). */
  openStore(): Promise<ResourceStore>;
}

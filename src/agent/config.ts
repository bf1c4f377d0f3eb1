// The agent's settings, from flags, environment, an optional YAML file and defaults, in that
// order of precedence. Every value is checked here; an error names the setting, where the
// value came from and the value, so a bad deployment fails at start with one clear line.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { DEFAULT_MARK_MASK, marksFromMask } from '../../compiler/config.js';
import { defaultDataDir } from '../datastore/open.js';
import { NAME_RE } from '../model/names.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface AgentConfig {
  /** This host's node name: which workload endpoints are local. */
  nodeName: string;
  /** Apply at most once per this many ms; a lone change waits at most this long. */
  coalesceMs: number;
  /** Re-read the kernel and repair drift this often (seconds; 0 = never). */
  refreshIntervalSeconds: number;
  healthHost: string;
  healthPort: number;
  /** The mark bits Tabby may use (the compiler takes the lowest four). */
  markMask: number;
  logLevel: LogLevel;
  /** Directory of the embedded datastore (used when no etcd endpoints are set). */
  dataDir: string;
  /** etcd v3 client URLs; empty = the embedded datastore. */
  etcdEndpoints: string[];
  /** Program ip6tables and cali6 sets as well as IPv4. */
  ipv6: boolean;
  /** First wait after a failed apply; doubles per failure up to the max. */
  applyRetryBackoffMs: number;
  applyRetryBackoffMaxMs: number;
  /** First wait before reconnecting to the datastore; doubles up to the max. */
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
}

type Key = keyof AgentConfig;
type Kind = 'name' | 'int' | 'host' | 'mask' | 'level' | 'path' | 'urls' | 'bool';

interface Setting {
  key: Key;
  flag: string;
  env: string;
  kind: Kind;
  /** Inclusive bounds for 'int'. */
  min?: number;
  max?: number;
  help: string;
}

/** Every setting, in the order the documentation lists them. */
export const SETTINGS: readonly Setting[] = [
  { key: 'nodeName', flag: 'node', env: 'NODENAME', kind: 'name', help: 'Node name; which workload endpoints are local (default: the host name).' },
  { key: 'etcdEndpoints', flag: 'etcd-endpoints', env: 'ETCD_ENDPOINTS', kind: 'urls', help: 'Comma-separated etcd v3 URLs; unset: the embedded datastore.' },
  { key: 'dataDir', flag: 'data-dir', env: 'TABBY_DATA_DIR', kind: 'path', help: 'Directory of the embedded datastore.' },
  { key: 'coalesceMs', flag: 'coalesce-ms', env: 'TABBY_COALESCE_MS', kind: 'int', min: 0, max: 60_000, help: 'Apply at most once per this many ms; a lone change waits at most this long.' },
  { key: 'refreshIntervalSeconds', flag: 'refresh-interval', env: 'TABBY_REFRESH_INTERVAL', kind: 'int', min: 0, max: 86_400, help: 'Seconds between re-reads of the kernel that repair drift (0: never).' },
  { key: 'healthHost', flag: 'health-host', env: 'TABBY_HEALTH_HOST', kind: 'host', help: 'Address the /livez, /readyz and /metrics server listens on.' },
  { key: 'healthPort', flag: 'health-port', env: 'TABBY_HEALTH_PORT', kind: 'int', min: 1, max: 65_535, help: 'Port of that server.' },
  { key: 'markMask', flag: 'mark-mask', env: 'TABBY_MARK_MASK', kind: 'mask', help: 'Packet mark bits Tabby may use (at least 4 bits).' },
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'level', help: 'fatal, error, warn, info, debug, trace or silent.' },
  { key: 'ipv6', flag: 'ipv6', env: 'TABBY_IPV6', kind: 'bool', help: 'Also program IPv6 (ip6tables, cali6 sets): true or false.' },
  { key: 'applyRetryBackoffMs', flag: 'apply-retry-backoff-ms', env: 'TABBY_APPLY_RETRY_BACKOFF_MS', kind: 'int', min: 1, max: 600_000, help: 'First wait after a failed apply (doubles per failure).' },
  { key: 'applyRetryBackoffMaxMs', flag: 'apply-retry-backoff-max-ms', env: 'TABBY_APPLY_RETRY_BACKOFF_MAX_MS', kind: 'int', min: 1, max: 3_600_000, help: 'Longest wait between apply retries.' },
  { key: 'reconnectBackoffMs', flag: 'reconnect-backoff-ms', env: 'TABBY_RECONNECT_BACKOFF_MS', kind: 'int', min: 1, max: 600_000, help: 'First wait before reconnecting to the datastore (doubles per failure).' },
  { key: 'reconnectBackoffMaxMs', flag: 'reconnect-backoff-max-ms', env: 'TABBY_RECONNECT_BACKOFF_MAX_MS', kind: 'int', min: 1, max: 3_600_000, help: 'Longest wait between reconnect attempts.' },
];

export const CONFIG_FILE_FLAG = 'config';
export const CONFIG_FILE_ENV = 'TABBY_CONFIG_FILE';

/** The defaults; the embedded store's directory is calicoctl's (/var/lib/tabby for root). */
export function defaultAgentConfig(hostname: string, env: NodeJS.ProcessEnv = {}): AgentConfig {
  return {
    nodeName: hostname,
    etcdEndpoints: [],
    dataDir: defaultDataDir(env),
    coalesceMs: 50,
    refreshIntervalSeconds: 90,
    healthHost: '127.0.0.1',
    healthPort: 9099,
    markMask: DEFAULT_MARK_MASK,
    logLevel: 'info',
    ipv6: true,
    applyRetryBackoffMs: 500,
    applyRetryBackoffMaxMs: 30_000,
    reconnectBackoffMs: 200,
    reconnectBackoffMaxMs: 5_000,
  };
}

/** A setting with a bad value, or a bad flag or file; says which, from where, and why. */
export class ConfigError extends Error {
  constructor(readonly field: string, readonly source: string, readonly value: unknown, reason: string) {
    super(`${field}${source ? ` (from ${source})` : ''}: ${JSON.stringify(value)} ${reason}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigInputs {
  /** Arguments after `tabby agent`. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  hostname: () => string;
  /** Reads the YAML file (default: fs). */
  readFile?: (path: string) => string;
}

export function loadAgentConfig(inputs: ConfigInputs): AgentConfig {
  const flags = parseFlags(inputs.argv);
  const cfg = defaultAgentConfig('', inputs.env);

  const configPath = flags.get(CONFIG_FILE_FLAG) ?? nonEmpty(inputs.env[CONFIG_FILE_ENV]);
  if (configPath !== undefined) {
    const source = flags.has(CONFIG_FILE_FLAG) ? `--${CONFIG_FILE_FLAG}` : CONFIG_FILE_ENV;
    const file = readConfigFile(configPath, source, inputs.readFile);
    for (const [name, raw] of Object.entries(file)) {
      const s = SETTINGS.find((x) => x.key === name);
      if (!s) throw new ConfigError(name, configPath, raw, `is not a setting; known: ${SETTINGS.map((x) => x.key).join(', ')}`);
      (cfg as unknown as Record<string, unknown>)[s.key] = convert(s, raw, `${configPath}: ${name}`);
    }
  }
  for (const s of SETTINGS) {
    const envValue = nonEmpty(inputs.env[s.env]);
    if (envValue !== undefined) (cfg as unknown as Record<string, unknown>)[s.key] = convert(s, envValue, s.env);
    const flagValue = flags.get(s.flag);
    if (flagValue !== undefined) (cfg as unknown as Record<string, unknown>)[s.key] = convert(s, flagValue, `--${s.flag}`);
  }
  if (cfg.nodeName === '') cfg.nodeName = convert(SETTINGS[0]!, inputs.hostname(), 'host name') as string;
  if (cfg.applyRetryBackoffMaxMs < cfg.applyRetryBackoffMs) {
    throw new ConfigError('applyRetryBackoffMaxMs', '', cfg.applyRetryBackoffMaxMs, `is less than applyRetryBackoffMs (${cfg.applyRetryBackoffMs})`);
  }
  if (cfg.reconnectBackoffMaxMs < cfg.reconnectBackoffMs) {
    throw new ConfigError('reconnectBackoffMaxMs', '', cfg.reconnectBackoffMaxMs, `is less than reconnectBackoffMs (${cfg.reconnectBackoffMs})`);
  }
  return cfg;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** `--name value` and `--name=value`; every flag takes a value. */
function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set([CONFIG_FILE_FLAG, ...SETTINGS.map((s) => s.flag)]);
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError('argument', 'command line', arg, 'is not a flag (flags start with --)');
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.has(name)) throw new ConfigError('flag', 'command line', arg, `is not a flag of tabby agent; known: ${[...known].map((f) => `--${f}`).join(', ')}`);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`--${name}`, 'command line', null, 'needs a value');
      value = next;
      i++;
    }
    if (out.has(name)) throw new ConfigError(`--${name}`, 'command line', value, 'is given more than once');
    out.set(name, value);
  }
  return out;
}

function readConfigFile(path: string, source: string, read = (p: string) => readFileSync(p, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError('config file', source, path, `cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw new ConfigError('config file', source, path, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config file', source, path, 'must be a YAML mapping of setting: value');
  return doc as Record<string, unknown>;
}

const HOST_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)$/;

/** One value, as text (flags, env) or as YAML gave it, to the setting's type. */
function convert(s: Setting, raw: unknown, source: string): AgentConfig[Key] {
  const bad = (reason: string): never => { throw new ConfigError(s.key, source, raw, reason); };
  switch (s.kind) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < s.min! || n > s.max!) bad(`must be an integer from ${s.min} to ${s.max}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const t = typeof raw === 'string' ? raw.toLowerCase() : '';
      if (t === 'true' || t === '1' || t === 'yes') return true;
      if (t === 'false' || t === '0' || t === 'no') return false;
      return bad('must be true or false');
    }
    case 'mask': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) bad('must be a 32-bit mask, e.g. 0xffff0000');
      try {
        marksFromMask(n);
      } catch {
        bad('must have at least 4 bits set');
      }
      return n;
    }
    case 'level':
      if (typeof raw !== 'string' || !LOG_LEVELS.includes(raw.toLowerCase() as LogLevel)) bad(`must be one of ${LOG_LEVELS.join(', ')}`);
      return (raw as string).toLowerCase() as LogLevel;
    case 'name':
      if (typeof raw !== 'string' || !NAME_RE.test(raw)) bad('must be 1-128 characters of [a-zA-Z0-9_.-]');
      return raw as string;
    case 'host':
      if (typeof raw !== 'string' || !HOST_RE.test(raw)) bad('must be an IP address or a host name');
      return raw as string;
    case 'path':
      if (typeof raw !== 'string' || !raw.startsWith('/') || raw.includes('\0')) bad('must be an absolute path');
      return raw as string;
    case 'urls': {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : bad('must be a list of URLs');
      const urls = (list as unknown[]).map((u) => (typeof u === 'string' ? u.trim() : u)).filter((u) => u !== '');
      for (const u of urls) {
        let ok = false;
        if (typeof u === 'string') {
          try {
            const parsed = new URL(u);
            ok = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
          } catch { /* not a URL */ }
        }
        if (!ok) throw new ConfigError(s.key, source, u, 'is not an http(s):// URL');
      }
      return urls as string[];
    }
  }
}

/** The usage text of the daemon's flags. */
export function agentUsage(): string {
  const lines = SETTINGS.map((s) => `  --${s.flag} VALUE`.padEnd(36) + `${s.env.padEnd(34)}${s.help}`);
  return `Usage:
  tabby agent [--config FILE] [flags]    run until SIGTERM/SIGINT
  tabby agent --once [--node NAME]       apply once and exit

Settings (flag, environment variable; precedence: flag > environment > file > default):
  --config FILE                     TABBY_CONFIG_FILE                 YAML file of settings (keys as in docs/configuration.md).
${lines.join('\n')}
`;
}

// Agent settings: precedence flags > environment > YAML file > defaults, and errors that name
// the setting, where its value came from and the value.
import t from 'tap';
import { ConfigError, defaultAgentConfig, loadAgentConfig, type AgentConfig } from '../../src/agent/config.js';

const load = (argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}): AgentConfig =>
  loadAgentConfig({
    argv,
    env,
    hostname: () => 'host-1',
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: no such file, open '${p}'`);
      return files[p]!;
    },
  });

t.test('defaults', async (t) => {
  const c = load([]);
  t.same(c, defaultAgentConfig('host-1'));
  t.equal(c.nodeName, 'host-1', 'node name defaults to the host name');
  t.equal(c.coalesceMs, 50);
  t.equal(c.refreshIntervalSeconds, 90);
  t.equal(c.healthHost, '127.0.0.1');
  t.equal(c.healthPort, 9099);
  t.equal(c.markMask, 0xffff0000);
  t.equal(c.logLevel, 'info');
  t.same(c.etcdEndpoints, [], 'no etcd: the embedded store');
});

t.test('flags beat environment, environment beats the file, the file beats defaults', async (t) => {
  const files = {
    '/etc/tabby/agent.yaml': [
      'nodeName: from-file',
      'coalesceMs: 10',
      'healthPort: 9300',
      'logLevel: warn',
      'etcdEndpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379]',
      'markMask: 0xf0000000',
      'refreshIntervalSeconds: 30',
    ].join('\n'),
  };
  const env = { TABBY_CONFIG_FILE: '/etc/tabby/agent.yaml', NODENAME: 'from-env', TABBY_COALESCE_MS: '20', LOG_LEVEL: 'debug' };
  const c = load(['--node', 'from-flag', '--log-level=error'], env, files);
  t.equal(c.nodeName, 'from-flag', 'flag wins');
  t.equal(c.logLevel, 'error', 'flag wins (--name=value form)');
  t.equal(c.coalesceMs, 20, 'environment beats the file');
  t.equal(c.healthPort, 9300, 'file beats the default');
  t.same(c.etcdEndpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
  t.equal(c.markMask, 0xf0000000);
  t.equal(c.refreshIntervalSeconds, 30);
  t.equal(c.healthHost, '127.0.0.1', 'default where nobody set it');

  const viaFlag = load(['--config', '/etc/tabby/agent.yaml'], {}, files);
  t.equal(viaFlag.nodeName, 'from-file', '--config names the file too');
  t.same(load([], { ETCD_ENDPOINTS: 'http://127.0.0.1:2379, http://127.0.0.1:22379' }).etcdEndpoints,
    ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'], 'comma-separated endpoints');
  t.equal(load([], { NODENAME: '' }).nodeName, 'host-1', 'an empty variable counts as unset');
});

t.test('errors name the field, the source and the value', async (t) => {
  const err = (argv: string[], env: NodeJS.ProcessEnv, files: Record<string, string>, re: RegExp, what: string): void => {
    let caught: unknown;
    try {
      load(argv, env, files);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof ConfigError, `${what}: a ConfigError`);
    t.match((caught as Error | undefined)?.message ?? '', re, what);
  };
  err(['--health-port', '70000'], {}, {}, /^healthPort \(from --health-port\): "70000" must be an integer from 1 to 65535$/, 'port out of range');
  err([], { TABBY_COALESCE_MS: 'soon' }, {}, /^coalesceMs \(from TABBY_COALESCE_MS\): "soon" must be an integer/, 'not a number');
  err([], { LOG_LEVEL: 'loud' }, {}, /^logLevel \(from LOG_LEVEL\): "loud" must be one of fatal, error/, 'unknown level');
  err([], { NODENAME: 'bad node!' }, {}, /^nodeName \(from NODENAME\): "bad node!" must be 1-128 characters/, 'bad node name');
  err([], { ETCD_ENDPOINTS: 'etcd:2379' }, {}, /^etcdEndpoints \(from ETCD_ENDPOINTS\): "etcd:2379" is not an http\(s\):\/\/ URL$/, 'endpoint without scheme');
  err(['--mark-mask', '0x3'], {}, {}, /^markMask \(from --mark-mask\): "0x3" must have at least 4 bits set$/, 'mask too small');
  err(['--data-dir', 'relative'], {}, {}, /^dataDir \(from --data-dir\): "relative" must be an absolute path$/, 'relative data dir');
  err(['--no-such-flag', '1'], {}, {}, /^flag \(from command line\): "--no-such-flag" is not a flag of tabby agent/, 'unknown flag');
  err(['--node'], {}, {}, /^--node \(from command line\): null needs a value$/, 'flag without value');
  err(['stray'], {}, {}, /"stray" is not a flag/, 'positional argument');
  err(['--config', '/nope.yaml'], {}, {}, /^config file \(from --config\): "\/nope.yaml" cannot be read: ENOENT/, 'missing file');
  err([], { TABBY_CONFIG_FILE: '/c.yaml' }, { '/c.yaml': 'coalesceMs: [1' }, /^config file \(from TABBY_CONFIG_FILE\): "\/c.yaml" is not valid YAML/, 'bad YAML');
  err([], { TABBY_CONFIG_FILE: '/c.yaml' }, { '/c.yaml': '- a\n- b\n' }, /must be a YAML mapping/, 'YAML list');
  err([], { TABBY_CONFIG_FILE: '/c.yaml' }, { '/c.yaml': 'coalesce: 5\n' }, /^coalesce \(from \/c.yaml\): 5 is not a setting; known: nodeName/, 'unknown key in the file');
  err([], { TABBY_CONFIG_FILE: '/c.yaml' }, { '/c.yaml': 'healthPort: "x"\n' }, /^healthPort \(from \/c.yaml: healthPort\): "x" must be an integer/, 'bad value in the file');
  err(['--apply-retry-backoff-ms', '5000', '--apply-retry-backoff-max-ms', '100'], {}, {}, /^applyRetryBackoffMaxMs: 100 is less than applyRetryBackoffMs \(5000\)$/, 'inconsistent backoff');
});

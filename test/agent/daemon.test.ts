// The daemon's control loop in-process, on an in-memory datastore whose connection the test
// cuts and a dataplane that records applies (no root needed). The same behaviours are shown
// on real etcd and real packets in the *-netns tests.
import t from 'tap';
import { defaultAgentConfig, type AgentConfig } from '../../src/agent/config.js';
import { startAgent, type RunningAgent } from '../../src/agent/daemon.js';
import { policyChainName } from '../../compiler/names.js';
import type { Policy, WorkloadEndpoint } from '../../src/model/types.js';
import { captureLogger, FlakyKV, RecordingDataplane, waitFor } from './daemon-harness.js';

const NODE = 'node-a';

const endpoint = (name: string, ip: string, labels: Record<string, string>): WorkloadEndpoint => ({
  apiVersion: 'v1',
  kind: 'workloadEndpoint',
  metadata: { name: 'eth0', node: NODE, orchestrator: 'k8s', workload: name, labels },
  spec: { interfaceName: `cali${name.padEnd(11, '0')}`.slice(0, 15), ipNetworks: [`${ip}/32`], mac: 'ee:ee:ee:00:00:01', profiles: [] },
});

const policy = (name: string, selector: string, order = 10): Policy => ({
  apiVersion: 'v1',
  kind: 'policy',
  metadata: { name },
  spec: { order, selector, ingress: [{ action: 'allow', protocol: 'tcp', destination: { ports: [80] } }] },
});

function config(over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    ...defaultAgentConfig(NODE),
    healthPort: 0, // any free port (tests only; the config file/flags require 1-65535)
    coalesceMs: 20,
    refreshIntervalSeconds: 0,
    applyRetryBackoffMs: 20,
    applyRetryBackoffMaxMs: 100,
    reconnectBackoffMs: 20,
    reconnectBackoffMaxMs: 100,
    ...over,
  };
}

async function start(t: { teardown(fn: () => unknown): void }, kv: FlakyKV, over: Partial<AgentConfig> = {}) {
  const dp = new RecordingDataplane(4);
  const { logger, lines } = captureLogger();
  const agent: RunningAgent = await startAgent(config(over), {
    openDatastore: async () => kv,
    dataplanes: [dp],
    logger,
    processMetrics: false,
  });
  t.teardown(() => agent.stop());
  return { agent, dp, lines };
}

const hasPolicyChain = (dp: RecordingDataplane, name: string): boolean => dp.chainNames().includes(policyChainName('inbound', name));

async function metric(agent: RunningAgent, name: string): Promise<number> {
  const text = await agent.metrics.metricsText();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

t.test('lists, applies, becomes ready, then applies each change', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }), policy('allow-web', 'app == "web"'));
  const { agent, dp, lines } = await start(t, kv);
  await agent.ready;
  t.ok(hasPolicyChain(dp, 'allow-web'), 'the first apply holds the policy');
  t.same(dp.last!.endpoints, ['caliweb00000000'], 'with the local endpoint for plumbing');
  t.equal(await metric(agent, 'tabby_applies_total'), 1);

  await kv.putResources(policy('second', 'app == "web"', 20));
  await waitFor('second policy applied', () => hasPolicyChain(dp, 'second'));
  t.ok(dp.last!.useCache, 'incremental applies plan against the remembered kernel state');
  await kv.inner.delete('/calico/v1/policy/tier/default/policy/second');
  await waitFor('second policy removed', () => !hasPolicyChain(dp, 'second'));
  t.ok(await metric(agent, 'tabby_datastore_events_total') >= 2, 'events counted');
  t.equal(await metric(agent, 'tabby_active_policies'), 1);
  t.equal(await metric(agent, 'tabby_local_endpoints'), 1);

  const applyLines = lines.filter((l) => l.msg === 'applied');
  t.ok(applyLines.length >= 3, 'one info line per apply');
  t.ok(applyLines.every((l) => l.level === 30 && typeof l.writeMs === 'number' && typeof l.calcMs === 'number' && typeof l.policiesChanged === 'number'),
    'each with its size and durations');
  t.notOk(lines.some((l) => l.level === 30 && JSON.stringify(l).includes('caliweb')), 'no endpoint named at info level');
});

t.test('a datastore outage keeps the rules; reconnects and applies later changes', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }), policy('allow-web', 'app == "web"'));
  const { agent, dp, lines } = await start(t, kv);
  await agent.ready;
  const before = dp.applies.length;
  kv.cut();
  await kv.putResources(policy('during', 'app == "web"', 20)); // written while the agent is cut off
  await waitFor('a failed reconnect attempt', () => lines.some((l) => l.msg === 'datastore unavailable; the rules in the kernel stay in force'));
  t.equal(dp.applies.length, before, 'nothing applied while the datastore is away');
  kv.restore();
  await waitFor('change made during the outage applied', () => hasPolicyChain(dp, 'during'));
  t.ok(hasPolicyChain(dp, 'allow-web'), 'earlier policy still there');
  await kv.putResources(policy('after', 'app == "web"', 30));
  await waitFor('change after the outage applied', () => hasPolicyChain(dp, 'after'));
  t.ok(lines.some((l) => l.msg === 'datastore reachable again; resuming the watch'), 'resumed the watch from its revision');
});

t.test('compaction past the agent\'s revision: re-lists and converges', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }), policy('old', 'app == "web"'));
  const { agent, dp, lines } = await start(t, kv);
  await agent.ready;
  kv.cut();
  await kv.inner.delete('/calico/v1/policy/tier/default/policy/old');
  await kv.putResources(policy('new', 'app == "web"'));
  kv.inner.compact(kv.inner.revision);
  kv.restore();
  await waitFor('converged on the compacted store', () => hasPolicyChain(dp, 'new') && !hasPolicyChain(dp, 'old'));
  t.ok(lines.some((l) => l.msg === 'datastore compacted past our revision; listing again'), 'logged the re-list');
  t.match(await agent.metrics.metricsText(), /tabby_datastore_resyncs_total\{reason="compacted"\} 1/, 'counted the re-list');
});

t.test('an invalid value is logged with its key and skipped; later changes apply', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }), policy('good', 'app == "web"'));
  const { agent, dp, lines } = await start(t, kv);
  await agent.ready;
  const badKey = '/calico/v1/policy/tier/default/policy/broken';
  await kv.inner.put(badKey, '{"selector": "app ==", "order": "x"');
  await kv.inner.put('/calico/v1/policy/tier/default/policy/bad-selector', JSON.stringify({ selector: 'app == ', order: 5, inbound_rules: [], outbound_rules: [] }));
  await waitFor('both bad values logged', () => lines.filter((l) => l.msg?.toString().startsWith('skipping an invalid datastore value')).length >= 2);
  const logged = lines.filter((l) => l.msg?.toString().startsWith('skipping an invalid datastore value')).map((l) => l.key);
  t.same(logged.sort(), ['/calico/v1/policy/tier/default/policy/bad-selector', badKey], 'each logged with its key');
  await kv.putResources(policy('later', 'app == "web"', 20));
  await waitFor('later change applied', () => hasPolicyChain(dp, 'later'));
  t.ok(hasPolicyChain(dp, 'good'), 'good policy unaffected');
  t.equal(await metric(agent, 'tabby_datastore_invalid_values_total'), 2);
});

t.test('a failed apply is retried with backoff and counted', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }));
  const { agent, dp, lines } = await start(t, kv);
  await agent.ready;
  dp.failures = 2;
  await kv.putResources(policy('p', 'app == "web"'));
  await waitFor('applied after two failures', () => hasPolicyChain(dp, 'p'));
  t.equal(await metric(agent, 'tabby_apply_errors_total'), 2, 'two errors counted');
  t.equal(lines.filter((l) => l.msg === 'apply failed; the previous rules stay in force; retrying').length, 2);
  t.notOk(dp.last!.useCache, 'the retry re-reads the kernel');
});

t.test('periodic refresh re-reads the kernel', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }));
  const { agent, dp } = await start(t, kv, { refreshIntervalSeconds: 1 });
  await agent.ready;
  await waitFor('a refresh', () => dp.invalidations >= 1 && dp.applies.length >= 2, 5000);
  t.notOk(dp.last!.useCache, 'the refresh apply planned against a fresh read of the kernel');
  t.ok(await metric(agent, 'tabby_last_resync_timestamp_seconds') > 0, 'last resync time set');
});

t.test('stop: no more applies, the store is left alone, /readyz goes down', async (t) => {
  const kv = new FlakyKV();
  await kv.putResources(endpoint('web', '198.18.1.1', { app: 'web' }));
  const { agent, dp } = await start(t, kv);
  await agent.ready;
  const url = `http://127.0.0.1:${agent.healthAddress.port}`;
  t.equal((await fetch(`${url}/livez`)).status, 200);
  t.equal((await fetch(`${url}/readyz`)).status, 200);
  t.match(await (await fetch(`${url}/metrics`)).text(), /tabby_applies_total 1/);
  t.equal((await fetch(`${url}/nope`)).status, 404);
  await agent.stop();
  const n = dp.applies.length;
  await kv.putResources(policy('p', 'app == "web"'));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(dp.applies.length, n, 'nothing applied after stop');
});

// The agent daemon against a real etcd, as separate processes in a test network namespace,
// checked with real traffic: propagation within 1 s with the apply on /metrics, an etcd
// SIGKILL and restart, a compaction past the agent's revision while it is cut off, and an
// invalid value written straight into etcd.
// Needs `npm run build` first (the agent runs from dist/ through bin/tabby.js).
import t from 'tap';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentProcess } from './agent-process.js';
import { NetnsEtcd } from './etcd-netns.js';
import { apply, baseResources, deletePolicy, NODE, timeUntil, webPolicy } from './scenario.js';

const skip = notRootReason();

const AGENT_ARGS = ['--node', NODE, '--coalesce-ms', '50', '--ipv6', 'false', '--reconnect-backoff-ms', '100', '--reconnect-backoff-max-ms', '1000'];

t.test('agent on etcd: propagation, outage, compaction, bad data', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const etcd = await NetnsEtcd.start(net.hostNs);
  t.teardown(() => etcd.destroy());
  const env = { ETCD_ENDPOINTS: etcd.endpoint };
  await apply(net.hostNs, env, baseResources(net));

  const agent = AgentProcess.start(net.hostNs, env, AGENT_ARGS);
  t.teardown(() => agent.kill9());
  await agent.waitForLog('first apply', (l) => l.msg === 'ready: first apply done');
  t.equal((await agent.http('/readyz')).status, 200, '/readyz after the first apply');
  t.equal(await checkMatrix(net, `
    a  b  tcp:80  allow
    a  b  tcp:81  allow
    b  a  tcp:80  allow
  `), '', 'profile open: everything flows');

  await t.test('propagation within 1 s of calicoctl apply and delete', async (t) => {
    const appliesBefore = (await agent.metric('tabby_applies_total')) ?? 0;
    await apply(net.hostNs, env, webPolicy());
    let since = performance.now(); // the change is in etcd once calicoctl returns
    const deniedAfter = await timeUntil(net, 'a', 'b', 81, 'deny', since);
    t.ok(deniedAfter < 1000, `policy enforced ${Math.round(deniedAfter)} ms after calicoctl apply returned`);
    t.equal(await checkMatrix(net, `
      a  b  tcp:80  allow
      a  b  tcp:81  deny
      b  a  tcp:81  allow
    `), '', 'b accepts only tcp:80 from a');
    t.ok(((await agent.metric('tabby_applies_total')) ?? 0) > appliesBefore, '/metrics counts the apply');
    t.equal(await agent.metric('tabby_active_policies'), 1, '/metrics: one active policy');
    t.equal(await agent.metric('tabby_local_endpoints'), 2, '/metrics: two local endpoints');
    t.ok(((await agent.metric('tabby_apply_duration_seconds_count')) ?? 0) > appliesBefore, 'apply duration histogram observed');

    await deletePolicy(net.hostNs, env, 'b-web');
    since = performance.now();
    const allowedAfter = await timeUntil(net, 'a', 'b', 81, 'allow', since);
    t.ok(allowedAfter < 1000, `deletion enforced ${Math.round(allowedAfter)} ms after calicoctl delete returned`);
    const line = agent.lines.filter((l) => l.msg === 'applied').pop()!;
    t.ok(typeof line.writeMs === 'number' && typeof line.calcMs === 'number' && typeof line.policiesChanged === 'number',
      'the apply is one log line with its size and durations');
  });

  await t.test('etcd SIGKILL: policy stays; after a restart on the same data a change is enforced', async (t) => {
    await apply(net.hostNs, env, webPolicy());
    t.ok(await timeUntil(net, 'a', 'b', 81, 'deny', performance.now()) < Infinity, 'policy in force');
    const from = agent.lines.length;
    await etcd.kill9();
    await agent.waitForLog('the agent notices', (l) => l.msg === 'datastore unavailable; the rules in the kernel stay in force', 20_000, from);
    t.equal(await checkMatrix(net, `
      a  b  tcp:80  allow
      a  b  tcp:81  deny
    `), '', 'policy stays in force while etcd is down');
    t.equal(agent.lines.slice(from).filter((l) => l.msg === 'applied').length, 0, 'nothing applied while etcd is down');

    await etcd.restart();
    await deletePolicy(net.hostNs, env, 'b-web');
    t.ok(await timeUntil(net, 'a', 'b', 81, 'allow', performance.now(), 15_000) < Infinity,
      'the change made after the restart is enforced, without restarting the agent');
  });

  await t.test('compaction past the agent\'s revision while it is cut off: re-list and converge', async (t) => {
    await apply(net.hostNs, env, webPolicy());
    t.ok(await timeUntil(net, 'a', 'b', 81, 'deny', performance.now()) < Infinity, 'policy in force');
    // Restarting etcd on another client port cuts the agent off (it knows only the first).
    const from = agent.lines.length;
    await etcd.restart(2479);
    const other = { ETCD_ENDPOINTS: etcd.endpoint };
    await deletePolicy(net.hostNs, other, 'b-web');
    await apply(net.hostNs, other, webPolicy('b-81', 81));
    await etcd.compact();
    await etcd.restart(2379);
    await agent.waitForLog('re-list after compaction', (l) => l.msg === 'datastore compacted past our revision; listing again', 20_000, from);
    t.ok(await timeUntil(net, 'a', 'b', 81, 'allow', performance.now(), 10_000) < Infinity, 'converged: 81 open');
    t.equal(await checkMatrix(net, `
      a  b  tcp:80  deny
      a  b  tcp:81  allow
    `), '', 'the state written while cut off is enforced');
    await deletePolicy(net.hostNs, env, 'b-81');
    t.ok(await timeUntil(net, 'a', 'b', 80, 'allow', performance.now()) < Infinity, 'and the watch works again afterwards');
  });

  await t.test('an invalid value in etcd is logged with its key and skipped; later changes apply', async (t) => {
    const key = '/calico/v1/policy/tier/default/policy/broken';
    const from = agent.lines.length;
    await etcd.etcdctl(['put', key, '{"selector": "role == \'b\'", "order": ']);
    const warned = await agent.waitForLog('invalid value logged', (l) => l.key === key, 10_000, from);
    t.equal(warned.level, 40, 'logged at warn');
    t.match(String(warned.error), /\S/, 'with the reason');
    await apply(net.hostNs, env, webPolicy());
    t.ok(await timeUntil(net, 'a', 'b', 81, 'deny', performance.now()) < 1000, 'a later change is applied');
    t.equal(await agent.metric('tabby_datastore_invalid_values_total'), 1, 'counted on /metrics');
    t.equal((await agent.http('/livez')).status, 200, 'the agent is alive');
  });

  t.equal(await agent.terminate(), 0, 'SIGTERM: clean exit');
  t.equal(await checkMatrix(net, `
    a  b  tcp:80  allow
    a  b  tcp:81  deny
  `), '', 'rules stay in force after the agent stops');
});

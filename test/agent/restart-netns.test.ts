// Restart without a gap: the agent is killed with SIGKILL and started again while a TCP
// connection through an allowed path is open. The connection survives, the new agent adopts
// the rules in the kernel (its first apply writes nothing), and probes in a tight loop during
// the restart never see a denied path allowed nor an allowed path denied.
// Needs `npm run build` first (the agent runs from dist/ through bin/tabby.js).
import t from 'tap';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { AgentProcess } from './agent-process.js';
import { NetnsEtcd } from './etcd-netns.js';
import { LongConnection } from './long-connection.js';
import { apply, baseResources, NODE, timeUntil, webPolicy } from './scenario.js';

const skip = notRootReason();
const AGENT_ARGS = ['--node', NODE, '--coalesce-ms', '50', '--ipv6', 'false'];

t.test('SIGKILL and restart of the agent keep policy and connections', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const etcd = await NetnsEtcd.start(net.hostNs);
  t.teardown(() => etcd.destroy());
  const env = { ETCD_ENDPOINTS: etcd.endpoint };
  await apply(net.hostNs, env, baseResources(net) + webPolicy());

  const first = AgentProcess.start(net.hostNs, env, AGENT_ARGS);
  t.teardown(() => first.kill9());
  await first.waitForLog('first apply', (l) => l.msg === 'ready: first apply done');
  // Allowed: a -> b tcp:80 (policy b-web) and b -> a tcp:80 (profile open). Denied: a -> b tcp:81.
  t.ok(await timeUntil(net, 'a', 'b', 81, 'deny', performance.now()) < Infinity, 'policy in force');
  t.ok(await timeUntil(net, 'b', 'a', 80, 'allow', performance.now()) < Infinity, 'open path open');

  const conn = await LongConnection.open(net.workload('b').ns, net.workload('a').ns, net.addressOf('b'), 80);
  t.teardown(() => conn.close());

  // Probes in a tight loop for the whole restart.
  const a = await net.agent('a');
  const b = await net.agent('b');
  const wrong: string[] = [];
  let rounds = 0;
  let probing = true;
  const loop = (async () => {
    while (probing) {
      const [open, closed] = await Promise.all([
        b.probe('tcp', net.addressOf('a'), 80, 300),
        a.probe('tcp', net.addressOf('b'), 81, 300),
      ]);
      rounds++;
      if (open.outcome !== 'allow') wrong.push(`b -> a tcp:80 expected allow, got ${open.outcome} (${open.detail ?? ''})`);
      if (closed.outcome !== 'deny') wrong.push(`a -> b tcp:81 expected deny, got ${closed.outcome} (${closed.detail ?? ''})`);
    }
  })();

  await new Promise((r) => setTimeout(r, 500));
  const echoedBefore = (await conn.status()).echoed;
  await first.kill9();
  await new Promise((r) => setTimeout(r, 500)); // no agent at all for a while
  const second = AgentProcess.start(net.hostNs, env, AGENT_ARGS);
  t.teardown(() => second.kill9());
  const adopted = await second.waitForLog('first apply of the new agent', (l) => l.msg === 'applied');
  await second.waitForLog('ready', (l) => l.msg === 'ready: first apply done');
  await new Promise((r) => setTimeout(r, 1000));
  probing = false;
  await loop;

  t.equal(adopted.changed, false, 'the new agent adopted the rules: its first apply wrote nothing');
  t.equal(adopted.chainsTouched, 0, 'no chain rewritten or flushed');
  t.ok(rounds >= 5, `${rounds} probe rounds during the restart`);
  t.same(wrong, [], 'no probe saw a wrong verdict');
  const after = await conn.status();
  t.ok(after.connected && !after.closed && after.error === null, 'the connection is still open');
  t.ok(after.echoed > echoedBefore, 'and still carries data after the restart');
  t.ok(after.sinceLastEchoMs < 1000, 'its last echo is recent');
  t.equal(await second.terminate(), 0, 'SIGTERM: clean exit');
});

// Propagation on the embedded store: calicoctl and the agent are separate processes sharing
// TABBY_DATA_DIR; a calicoctl apply or delete is enforced on real traffic within 1 s and
// /metrics shows the apply.
// Needs `npm run build` first (the agent runs from dist/ through bin/tabby.js).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentProcess } from './agent-process.js';
import { apply, baseResources, deletePolicy, NODE, timeUntil, webPolicy } from './scenario.js';

const skip = notRootReason();

t.test('agent on the embedded store: propagation within 1 s', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const dir = mkdtempSync(join(tmpdir(), 'tabby-agent-embedded-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ETCD_ENDPOINTS: '', TABBY_DATA_DIR: dir };
  await apply(net.hostNs, env, baseResources(net));

  const agent = AgentProcess.start(net.hostNs, env, ['--node', NODE, '--ipv6', 'false']);
  t.teardown(() => agent.kill9());
  await agent.waitForLog('first apply', (l) => l.msg === 'ready: first apply done');
  t.equal(await checkMatrix(net, `
    a  b  tcp:81  allow
  `), '', 'open before the policy');

  const appliesBefore = (await agent.metric('tabby_applies_total')) ?? 0;
  await apply(net.hostNs, env, webPolicy());
  let since = performance.now();
  const denied = await timeUntil(net, 'a', 'b', 81, 'deny', since);
  t.ok(denied < 1000, `policy enforced ${Math.round(denied)} ms after calicoctl apply returned`);
  t.equal(await checkMatrix(net, `
    a  b  tcp:80  allow
    a  b  tcp:81  deny
  `), '', 'b accepts only tcp:80 from a');
  t.ok(((await agent.metric('tabby_applies_total')) ?? 0) > appliesBefore, '/metrics counts the apply');
  t.equal(await agent.metric('tabby_active_policies'), 1, '/metrics: one active policy');

  await deletePolicy(net.hostNs, env, 'b-web');
  since = performance.now();
  const allowed = await timeUntil(net, 'a', 'b', 81, 'allow', since);
  t.ok(allowed < 1000, `deletion enforced ${Math.round(allowed)} ms after calicoctl delete returned`);
  t.equal(await agent.terminate(), 0, 'SIGTERM: clean exit');
});

// Real packets through a ruleset the dataplane applied: two workloads, TCP 80
// allowed from a to b only.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import type { DesiredState, ResolvedRule } from '../../compiler/desired-state.js';
import { createCommandRunner } from '../../dataplane/runner.js';
import { createDataplane } from '../../dataplane/dataplane.js';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { emptyRuleset, handRuleset } from './hand-ruleset.js';

const skip = notRootReason();

t.test('TCP 80 one way only', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const dp = createDataplane({ ipVersion: 4, runner: createCommandRunner({ netns: net.hostNs }) });
  const a = net.workload('a'), b = net.workload('b');
  const endpoints = [net.endpoint('a'), net.endpoint('b')];
  const wl = [{ iface: a.iface, ip: a.ip }, { iface: b.iface, ip: b.ip }];

  // With plumbing and no policy chains at all, everything flows (the harness works).
  await dp.apply(emptyRuleset(4), { endpoints });
  t.equal(await checkMatrix(net, `
    a  b  tcp:80   allow
    b  a  tcp:80   allow
    a  b  udp:53   allow
    a  b  icmp     allow
  `), '', 'open network before policy');

  await dp.apply(handRuleset({
    workloads: wl,
    allows: [{ name: 'web', to: b.iface, from: [a.ip], proto: 'tcp', port: 80 }],
  }), { endpoints });
  t.equal(await checkMatrix(net, `
    a  b  tcp:80   allow
    b  a  tcp:80   deny
    a  b  tcp:81   deny
    a  b  udp:80   deny
    a  b  icmp     deny
  `), '', 'only a -> b tcp:80 allowed');

  // Changing the allowed source set flips the direction of the allowed path.
  const swapped = await dp.apply(handRuleset({
    workloads: wl,
    allows: [{ name: 'web', to: a.iface, from: [b.ip], proto: 'tcp', port: 80 }],
  }), { endpoints });
  t.ok(swapped.chainsTouched.includes(`cali-tw-${a.iface}`) && swapped.chainsTouched.includes(`cali-tw-${b.iface}`),
    'both ingress chains rewritten');
  t.equal(await checkMatrix(net, `
    a  b  tcp:80   deny
    b  a  tcp:80   allow
  `), '', 'policy follows the change');
});

t.test('a compiled ruleset on real packets', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const dp = createDataplane({ ipVersion: 4, runner: createCommandRunner({ netns: net.hostNs }) });
  const a = net.workload('a');
  const allow = (o: Partial<ResolvedRule>): ResolvedRule => ({
    action: 'allow', srcNets: [], dstNets: [], notSrcNets: [], notDstNets: [], srcPorts: [], dstPorts: [],
    notSrcPorts: [], notDstPorts: [], srcIpSetIds: [], dstIpSetIds: [], notSrcIpSetIds: [], notDstIpSetIds: [], ...o,
  });
  const endpoints = [
    net.endpoint('a', { profileIds: ['open'] }),
    net.endpoint('b', { profileIds: ['open'], ingressPolicies: ['web'] }),
  ];
  const state: DesiredState = {
    endpoints: new Map(endpoints.map((e) => [e.interfaceName, e])),
    // b's ingress: TCP 80 from the set holding a.
    policies: new Map([['web', { inbound: [allow({ protocol: 'tcp', dstPorts: [80], srcIpSetIds: ['s:a'] })], outbound: [] }]]),
    // Everyone may send; nobody receives unless a policy says so.
    profiles: new Map([['open', { inbound: [], outbound: [allow({})] }]]),
    ipSets: new Map([['s:a', { selector: 'name == "a"', v4: new Set([`${a.ip}/32`]), v6: new Set<string>() }]]),
  };
  const ruleset = compileRuleset(state, 4);
  const first = await dp.apply(ruleset, { endpoints });
  t.ok(first.changed);
  t.equal(await dp.diff(ruleset), '', 'in sync after apply');
  t.equal((await dp.apply(compileRuleset(state, 4), { endpoints })).changed, false, 'recompiling and re-applying writes nothing');
  t.equal(await checkMatrix(net, `
    a  b  tcp:80   allow
    a  b  tcp:81   deny
    b  a  tcp:80   deny
    a  b  udp:80   deny
  `), '', 'only a -> b tcp:80 allowed');
  await dp.apply(emptyRuleset(4), { endpoints: [] });
  t.equal(await dp.diff(emptyRuleset(4)), '');
});

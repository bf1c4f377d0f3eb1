// KernelWriter's shortcut: when calc's delta holds nothing but IP set member changes, the
// previous rulesets are reused with just those sets recompiled. The result must always equal a
// full compile of the same state; anything else in the delta, or a re-read, compiles in full.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { marksFromMask, DEFAULT_MARK_MASK } from '../../compiler/config.js';
import type { DesiredState, IpSetMembers, LocalEndpoint, ResolvedRule, RuleSet } from '../../compiler/desired-state.js';
import type { Ruleset } from '../../compiler/ruleset.js';
import type { ApplyOptions, ApplyResult, Dataplane } from '../../dataplane/dataplane.js';
import type { DesiredStateDelta, IpSetMemberDelta } from '../../src/calc/index.js';
import { KernelWriter, onlyIpSetMembers } from '../../src/agent/kernel-writer.js';

/** Records the rulesets it is given; writes nothing. */
class RecordingDataplane {
  readonly rulesets: Ruleset[] = [];
  constructor(readonly ipVersion: 4 | 6) {}
  async apply(desired: Ruleset, _options?: ApplyOptions): Promise<ApplyResult> {
    this.rulesets.push(desired);
    return { changed: true, attempts: 1, chainsTouched: [] } as unknown as ApplyResult;
  }
  invalidate(): void { /* nothing cached */ }
}

const allowFrom = (setId: string): ResolvedRule => ({
  action: 'allow', srcNets: [], dstNets: [], notSrcNets: [], notDstNets: [], srcPorts: [], dstPorts: [],
  notSrcPorts: [], notDstPorts: [], srcIpSetIds: [setId], dstIpSetIds: [], notSrcIpSetIds: [], notDstIpSetIds: [],
});

const endpoint = (n: number, policies: string[]): LocalEndpoint => ({
  id: `node/k8s/pod-${n}/eth0`, interfaceName: `cali${String(n).padStart(11, '0')}`, active: true, mac: '02:00:c6:12:00:02',
  ipv4Nets: [`198.18.1.${n}/32`], ipv6Nets: [], ingressPolicies: policies, egressPolicies: [], profileIds: [],
});

function liveState() {
  const sets = new Map<string, IpSetMembers & { v4: Set<string>; revision: number }>([
    ['s:a', { selector: 'app == "a"', v4: new Set(['198.18.2.1/32']), v6: new Set(), revision: 0 }],
    ['s:b', { selector: 'app == "b"', v4: new Set(['198.18.3.1/32']), v6: new Set(), revision: 0 }],
    ['s:unused', { selector: 'app == "c"', v4: new Set(), v6: new Set(), revision: 0 }],
  ]);
  const policies = new Map<string, RuleSet>([
    ['default.a', { inbound: [allowFrom('s:a')], outbound: [] }],
    ['default.b', { inbound: [allowFrom('s:b')], outbound: [] }],
  ]);
  const endpoints = new Map<string, LocalEndpoint>([endpoint(1, ['default.a']), endpoint(2, ['default.b'])].map((e) => [e.interfaceName, e]));
  const state: DesiredState = { endpoints, policies, profiles: new Map(), ipSets: sets };
  return { state, sets, endpoints };
}

function delta(parts: Partial<DesiredStateDelta> = {}): DesiredStateDelta {
  return {
    endpointsChanged: new Map(), endpointsRemoved: new Set(), policiesChanged: new Map(), policiesRemoved: new Set(),
    profilesChanged: new Map(), profilesRemoved: new Set(), ipSetsCreated: new Map(), ipSetsDeleted: new Set(),
    ipSetMembers: new Map(), ...parts,
  };
}

const memberDelta = (added: string[]): IpSetMemberDelta => ({ addedV4: added, removedV4: [], addedV6: [], removedV6: [] });
const fullCompile = (state: DesiredState): Ruleset => compileRuleset(structuredClone(state), 4, marksFromMask(DEFAULT_MARK_MASK));

t.test('onlyIpSetMembers', async (t) => {
  t.ok(onlyIpSetMembers(delta()));
  t.ok(onlyIpSetMembers(delta({ ipSetMembers: new Map([['s:a', memberDelta(['198.18.2.9/32'])]]) })));
  t.notOk(onlyIpSetMembers(delta({ ipSetsCreated: new Map([['s:x', { selector: 'x', v4: new Set(), v6: new Set() }]]) })));
  t.notOk(onlyIpSetMembers(delta({ endpointsRemoved: new Set(['cali00000000001']) })));
  t.notOk(onlyIpSetMembers(delta({ policiesChanged: new Map([['default.a', { inbound: [], outbound: [] }]]) })));
});

t.test('member changes: only the changed sets are recompiled, and the result equals a full compile', async (t) => {
  const dp = new RecordingDataplane(4);
  const writer = new KernelWriter([dp as unknown as Dataplane], DEFAULT_MARK_MASK);
  const { state, sets } = liveState();
  await writer.write(state, { reread: false, uninstall: false, delta: delta() });
  const first = dp.rulesets[0]!;
  t.same(first, fullCompile(state));

  sets.get('s:a')!.v4.add('198.18.2.9/32');
  sets.get('s:a')!.revision++;
  sets.get('s:unused')!.v4.add('198.18.4.1/32');
  sets.get('s:unused')!.revision++;
  const d = delta({ ipSetMembers: new Map([['s:a', memberDelta(['198.18.2.9/32'])], ['s:unused', memberDelta(['198.18.4.1/32'])]]) });
  await writer.write(state, { reread: false, uninstall: false, delta: d });
  const second = dp.rulesets[1]!;
  t.same(second, fullCompile(state), 'equal to a full compile');
  t.equal(second.chains, first.chains, 'the chain list is reused as it is');
  t.equal(second.ipSets[1], first.ipSets[1], 'the unchanged set is the same object');
  t.not(second.ipSets[0], first.ipSets[0], 'the changed set is new');
  t.same(second.ipSets[0]!.members, ['198.18.2.1', '198.18.2.9']);
  t.equal(second.ipSets.length, 2, 'a set no rule of this family uses stays out');

  await writer.write(state, { reread: false, uninstall: false, delta: delta() });
  t.equal(dp.rulesets[2], second, 'an empty delta (a retry) gives the very same ruleset');
});

t.test('anything but member changes, or a re-read, compiles in full', async (t) => {
  const dp = new RecordingDataplane(4);
  const writer = new KernelWriter([dp as unknown as Dataplane], DEFAULT_MARK_MASK);
  const { state, endpoints } = liveState();
  await writer.write(state, { reread: false, uninstall: false, delta: delta() });

  const ep3 = endpoint(3, ['default.a', 'default.b']);
  endpoints.set(ep3.interfaceName, ep3);
  await writer.write(state, { reread: false, uninstall: false, delta: delta({ endpointsChanged: new Map([[ep3.interfaceName, ep3]]) }) });
  const grown = dp.rulesets[1]!;
  t.same(grown, fullCompile(state));
  t.ok(grown.chains.some((c) => c.name === 'cali-tw-cali00000000003'), 'the new endpoint has its chains');

  await writer.write(state, { reread: true, uninstall: false, delta: delta() });
  t.not(dp.rulesets[2]!.chains, grown.chains, 'a re-read compiles from scratch (a new chain list)');
  t.same(dp.rulesets[2], grown);

  await writer.write(state, { reread: false, uninstall: true, delta: delta() });
  t.same(dp.rulesets[3], { ipVersion: 4, chains: [], hooks: [], ipSets: [] }, 'uninstall: the empty ruleset');
  await writer.write(state, { reread: false, uninstall: false, delta: delta() });
  t.same(dp.rulesets[4], fullCompile(state), 'after an uninstall, a full compile again');
});

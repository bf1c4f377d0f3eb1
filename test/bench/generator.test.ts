// The benchmark's generator is deterministic and its JSON has every key issue 7 names.
// Tiny scale, no timing assertions, no kernel: the kernel and end-to-end parts report null
// with a reason when skipped, which is part of the shape checked here.
import t from 'tap';
import { generateCluster } from '../../bench/cluster.js';
import { CHANGE_KINDS } from '../../bench/changes.js';
import { measureIncremental } from '../../bench/incremental.js';
import { checkTargets, type ScaleResult } from '../../bench/result.js';
import type { ScaleSpec } from '../../bench/scales.js';
import { renderTable } from '../../bench/table.js';
import { desiredStateFromKVs } from '../../src/calc/index.js';

const TINY: ScaleSpec = {
  name: 'M', localEndpoints: 10, totalEndpoints: 60, policies: 12, distinctSelectors: 30,
  namespaces: 3, appsPerNamespace: 4, incrementalRepeats: 3, coldStartRepeats: 1,
};

t.test('same seed, same cluster; another seed, another cluster', async (t) => {
  const a = generateCluster(TINY, 7);
  const b = generateCluster(TINY, 7);
  const c = generateCluster(TINY, 8);
  t.same(a.kvs, b.kvs);
  t.notSame(a.kvs, c.kvs);
  t.equal(a.endpoints.length, 60);
  t.equal(a.endpoints.filter((e) => e.id.node === a.node).length, 10, 'exactly the local endpoints on the node');
  t.equal(a.policies.length, 12);
  t.equal(a.distinctSelectors, 30, 'the distinct selector count the scale asks for');
  const { invalid, ignored, state } = desiredStateFromKVs(a.node, a.kvs);
  t.same(invalid, [], 'every generated value is valid');
  t.same(ignored, []);
  t.equal(state.endpoints.size, 10);
});

t.test('the result shape has every key of issue 7', async (t) => {
  const cluster = generateCluster(TINY, 7);
  const compute = measureIncremental(cluster, 1);
  const result: ScaleResult = {
    scale: 'M',
    cluster: {
      seed: 7, nodes: cluster.nodes, localEndpoints: 10, totalEndpoints: 60, policies: 12, profiles: 3,
      distinctSelectors: cluster.distinctSelectors, datastoreKeys: cluster.kvs.length, activePolicies: 0, ipSets: 0, ipSetMembers: 0, chains: 0,
    },
    coldStartMs: 1, coldStart: { samples: [1], cpuMs: 1, calcMs: 1, compileMs: 0, renderMs: 0 }, peakRssMb: 1,
    restoreLines: 1, restoreBytes: 1, restore: { iptablesLines: 1, iptablesBytes: 1, ipsetLines: 0, ipsetBytes: 0 },
    kernelApplyMs: null, kernelApply: { reason: 'not measured in this test' }, computeToKernelRatio: null,
    incremental: compute.incremental, naiveMs: compute.naiveMs, speedup: 1,
    e2e: { embedded: { p50Ms: null, p99Ms: null, reason: 'skipped' }, etcd: { p50Ms: null, p99Ms: null, reason: 'skipped' } },
    loadAverage: { before: 0, after: 0 },
  };
  const json = JSON.parse(JSON.stringify({ scales: { M: result } })) as { scales: { M: Record<string, unknown> } };
  const m = json.scales.M;
  for (const key of ['coldStartMs', 'peakRssMb', 'restoreLines', 'restoreBytes', 'kernelApplyMs', 'naiveMs', 'speedup']) {
    t.ok(key in m, key);
  }
  const inc = m.incremental as Record<string, Record<string, unknown>>;
  for (const kind of CHANGE_KINDS) {
    t.type(inc[kind]!.ms, 'number', `incremental.${kind}.ms`);
    t.type(inc[kind]!.deltaLines, 'number', `incremental.${kind}.deltaLines`);
  }
  const e2e = m.e2e as Record<string, Record<string, unknown>>;
  for (const store of ['embedded', 'etcd']) {
    t.ok('p50Ms' in e2e[store]! && 'p99Ms' in e2e[store]!, `e2e.${store}`);
  }
  const targets = checkTargets({ M: result });
  t.ok(targets.some((x) => x.target.startsWith('e2e.embedded.p99Ms') && x.met === null), 'an unmeasured target is n/a, not a miss');
  t.match(renderTable({ M: result }, targets), /coldStartMs/);
});

// The resource layer over a KVStore: Calico v1 keys, atomic writes, the
// create/replace/apply/delete semantics and errors of calicoctl v1, filtered
// and sorted listing, and update() as a retried read-modify-write. The same
// checks run on every backend that is available.
import t, { type Test } from 'tap';
import type { KVStore, TxnOp } from '../../src/datastore/kv.js';
import {
  createResourceStore,
  ResourceExistsError,
  ResourceNotFoundError,
  resourceIdOf,
  type ResourceStore,
} from '../../src/datastore/resource-store.js';
import { parseResources, resourceToKV, ValidationError } from '../../src/model/index.js';
import type { Policy, Profile, Resource, WorkloadEndpoint } from '../../src/model/types.js';
import { memoryKV } from '../helpers/memory-kv.js';
import { ALL_BACKENDS, wipe, type Backend } from './backends.js';

const profile = (name: string, labels: Record<string, string> = {}): Profile => ({
  apiVersion: 'v1',
  kind: 'profile',
  metadata: { name, ...(Object.keys(labels).length ? { labels } : {}), tags: [name] },
  spec: { ingress: [{ action: 'allow', source: { tag: name } }], egress: [{ action: 'allow' }] },
});
const policy = (name: string, order?: number, selector = "role == 'db'"): Policy => ({
  apiVersion: 'v1',
  kind: 'policy',
  metadata: { name },
  spec: { ...(order === undefined ? {} : { order }), selector, ingress: [{ action: 'deny', protocol: 'tcp', destination: { ports: [22] } }] },
});
const wep = (node: string, workload: string, name = 'eth0', orchestrator = 'k8s'): WorkloadEndpoint => ({
  apiVersion: 'v1',
  kind: 'workloadEndpoint',
  metadata: { name, node, orchestrator, workload, labels: { app: 'web' } },
  spec: { interfaceName: 'cali0123456789a', ipNetworks: ['10.65.0.1/32'], profiles: ['web'] },
});

/** Every key and value under /calico/, to show what a call changed (or that it changed nothing). */
async function dump(kv: KVStore): Promise<[string, string][]> {
  return (await kv.list('/calico/')).items.map((p) => [p.key, p.value]);
}

for (const factory of ALL_BACKENDS) {
  const why = await factory.unavailable();
  t.test(`resource store on the ${factory.name} backend`, { skip: why ?? false }, async (t) => {
    const backend = await factory.create(t);
    const fresh = async (t: Test): Promise<{ store: ResourceStore; kv: KVStore }> => {
      await wipe(backend);
      const kv = await backend.open();
      const store = createResourceStore(kv);
      t.teardown(() => store.close());
      return { store, kv };
    };
    await storeContract(t, fresh, backend);
  });
}

async function storeContract(
  t: Test,
  fresh: (t: Test) => Promise<{ store: ResourceStore; kv: KVStore }>,
  backend: Backend,
): Promise<void> {
  t.test('create writes every key of a profile in one revision, under the Calico v1 keys', async (t) => {
    const { store, kv } = await fresh(t);
    await store.create(profile('web', { role: 'frontend' }));
    const { items } = await kv.list('/calico/');
    t.same(items.map((p) => p.key), [
      '/calico/v1/policy/profile/web/labels',
      '/calico/v1/policy/profile/web/rules',
      '/calico/v1/policy/profile/web/tags',
    ]);
    t.equal(new Set(items.map((p) => p.modRevision)).size, 1, 'one transaction');
    t.same(
      Object.fromEntries(items.map((p) => [p.key, JSON.parse(p.value)])),
      {
        '/calico/v1/policy/profile/web/labels': { role: 'frontend' },
        '/calico/v1/policy/profile/web/rules': {
          inbound_rules: [{ action: 'allow', src_tag: 'web' }],
          outbound_rules: [{ action: 'allow' }],
        },
        '/calico/v1/policy/profile/web/tags': ['web'],
      },
    );
    t.same(await store.get('profile', { name: 'web' }), profile('web', { role: 'frontend' }));
  });

  t.test('create of an existing resource fails and changes nothing', async (t) => {
    const { store, kv } = await fresh(t);
    await store.create(policy('foo', 10));
    const before = await dump(kv);
    const err = await store.create(policy('foo', 20)).then(() => undefined, (e: unknown) => e);
    t.type(err, ResourceExistsError);
    t.equal((err as Error).message, 'resource already exists: Policy(name=foo)');
    t.same(await dump(kv), before);
  });

  t.test('replace and delete of a missing resource fail with ResourceNotFoundError', async (t) => {
    const { store, kv } = await fresh(t);
    const replaceErr = await store.replace(policy('foo')).then(() => undefined, (e: unknown) => e);
    t.type(replaceErr, ResourceNotFoundError);
    t.equal((replaceErr as Error).message, 'resource does not exist: Policy(name=foo)');
    const deleteErr = await store.delete('workloadEndpoint', { node: 'n1', orchestrator: 'k8s', workload: 'w', name: 'eth0' })
      .then(() => undefined, (e: unknown) => e);
    t.type(deleteErr, ResourceNotFoundError);
    t.equal(
      (deleteErr as Error).message,
      'resource does not exist: WorkloadEndpoint(node=n1, orchestrator=k8s, workload=w, name=eth0)',
    );
    t.same(await dump(kv), []);
  });

  t.test('replace and apply overwrite; apply also creates', async (t) => {
    const { store } = await fresh(t);
    await store.apply(policy('a', 1));
    t.same(await store.get('policy', { name: 'a' }), policy('a', 1));
    await store.apply(policy('a', 2));
    t.same(await store.get('policy', { name: 'a' }), policy('a', 2));
    await store.replace(policy('a', 3, 'all()'));
    t.same(await store.get('policy', { name: 'a' }), policy('a', 3, 'all()'));
  });

  t.test('delete removes every key of the resource at once', async (t) => {
    const { store, kv } = await fresh(t);
    await store.create(profile('web'));
    await store.create(profile('db'));
    await store.delete('profile', { name: 'web' });
    t.same((await dump(kv)).map(([k]) => k), [
      '/calico/v1/policy/profile/db/labels',
      '/calico/v1/policy/profile/db/rules',
      '/calico/v1/policy/profile/db/tags',
    ]);
    t.equal(await store.get('profile', { name: 'web' }), undefined);
  });

  t.test('a profile stored under only some of its keys exists, and replace completes it', async (t) => {
    const { store, kv } = await fresh(t);
    await kv.put('/calico/v1/policy/profile/legacy/tags', '["legacy"]');
    t.same(await store.get('profile', { name: 'legacy' }), {
      apiVersion: 'v1', kind: 'profile', metadata: { name: 'legacy', tags: ['legacy'] }, spec: {},
    });
    await t.rejects(store.create(profile('legacy')), ResourceExistsError);
    await store.replace(profile('legacy'));
    t.equal((await kv.list('/calico/v1/policy/profile/legacy/')).items.length, 3);
    t.same(await store.get('profile', { name: 'legacy' }), profile('legacy'));
  });

  t.test('list: sorted as calicoctl prints, filtered, other keys ignored', async (t) => {
    const { store, kv } = await fresh(t);
    for (const name of ['foobar', 'b', 'foo', 'a/slash', 'A']) await store.create(policy(name, 1));
    await store.create(wep('node-02', 'ns.pod-2'));
    await store.create(wep('node-01', 'ns.pod-1'));
    await store.create(wep('node-01', 'kube-system.dns'));
    await store.create(wep('node-01', 'ns.pod-1', 'eth1', 'cni'));
    // Keys outside the resource layout: other tiers, host config, a foreign key.
    await kv.put('/calico/v1/policy/tier/other/policy/zzz', JSON.stringify({ selector: '', inbound_rules: [], outbound_rules: [] }));
    await kv.put('/calico/v1/host/node-01/config/marker', 'x');
    await kv.put('/calico/v1/config/LogSeverityScreen', 'info');

    const names = (rs: Resource[]): string[] => rs.map((r) => r.metadata.name);
    t.same(names(await store.list('policy')), ['A', 'a/slash', 'b', 'foo', 'foobar'], 'byte order of names');
    t.same(names(await store.list('policy', { name: 'foo' })), ['foo'], 'a name filter is exact, not a prefix');
    t.same(await store.list('policy', { name: 'nope' }), []);
    t.same(await store.get('policy', { name: 'a/slash' }), policy('a/slash', 1));
    t.ok((await kv.get('/calico/v1/policy/tier/default/policy/a%2fslash')) !== undefined, 'a / in a name is escaped in the key');

    const ids = (rs: Resource[]): string[] => rs.map((r) => {
      const id = resourceIdOf(r);
      return `${id.node}/${id.orchestrator}/${id.workload}/${id.name}`;
    });
    t.same(ids(await store.list('workloadEndpoint')), [
      'node-01/k8s/kube-system.dns/eth0',
      'node-01/k8s/ns.pod-1/eth0',
      'node-01/cni/ns.pod-1/eth1',
      'node-02/k8s/ns.pod-2/eth0',
    ], 'by workload, then name');
    t.same(ids(await store.list('workloadEndpoint', { node: 'node-01' })), [
      'node-01/k8s/kube-system.dns/eth0', 'node-01/k8s/ns.pod-1/eth0', 'node-01/cni/ns.pod-1/eth1',
    ]);
    t.same(ids(await store.list('workloadEndpoint', { orchestrator: 'cni' })), ['node-01/cni/ns.pod-1/eth1']);
    t.same(ids(await store.list('workloadEndpoint', { workload: 'ns.pod-1' })), ['node-01/k8s/ns.pod-1/eth0', 'node-01/cni/ns.pod-1/eth1']);
    t.same(ids(await store.list('workloadEndpoint', { workload: 'ns.pod-1', name: 'eth1' })), ['node-01/cni/ns.pod-1/eth1']);
    t.same(ids(await store.list('workloadEndpoint', { node: 'node-02', workload: 'ns.pod-1' })), []);
    t.same(await store.list('hostEndpoint'), [], 'workload endpoints and host config are not host endpoints');
  });

  t.test('an invalid resource is rejected naming the field, and nothing is written', async (t) => {
    const { store, kv } = await fresh(t);
    const bad = { ...policy('p'), spec: { selector: 'role ==' } } as Policy;
    const err = await store.apply(bad).then(() => undefined, (e: unknown) => e);
    t.type(err, ValidationError);
    t.match((err as Error).message, /spec\.selector/);
    const badPort = policy('q');
    badPort.spec.ingress = [{ action: 'allow', protocol: 'tcp', destination: { ports: [70000] } }];
    await t.rejects(store.create(badPort), { name: 'ValidationError', message: /ports\[0\].*70000/ });
    t.same(await dump(kv), []);
  });

  t.test('concurrent creates of one resource: exactly one wins', async (t) => {
    const { store } = await fresh(t);
    const other = createResourceStore(await backend.open());
    t.teardown(() => other.close());
    const results = await Promise.allSettled([store.create(profile('race')), other.create(profile('race', { x: 'y' }))]);
    t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    t.type(failure.reason, ResourceExistsError);
  });

  t.test('update is a read-modify-write', async (t) => {
    const { store } = await fresh(t);
    t.equal(await store.update<Profile>('profile', { name: 'p' }, () => undefined), undefined, 'missing and left alone');
    const created = await store.update<Profile>('profile', { name: 'p' }, (cur) => cur ?? profile('p'));
    t.same(created, profile('p'));
    const edited = await store.update<Profile>('profile', { name: 'p' }, (cur) => {
      cur!.metadata.tags = [...(cur!.metadata.tags ?? []), 'extra'];
      return cur;
    });
    t.same(edited!.metadata.tags, ['p', 'extra']);
    t.same(await store.get('profile', { name: 'p' }), edited);
    await t.rejects(
      store.update<Profile>('profile', { name: 'p' }, () => profile('other')),
      /returned another resource/,
      'an edit may not change which resource it is',
    );
    t.same(await store.get('profile', { name: 'p' }), edited);
  });
}

t.test('update retries when another writer changes the resource between read and write', async (t) => {
  const kv = memoryKV();
  const seedStore = createResourceStore(kv);
  await seedStore.create(profile('p'));
  // A KV whose first transaction is preceded by another client's write.
  let interfered = false;
  const racy: KVStore = {
    ...kv,
    async txn(ops: TxnOp[]) {
      if (!interfered) {
        interfered = true;
        await kv.put('/calico/v1/policy/profile/p/tags', JSON.stringify(['p', 'from-the-other-writer']));
      }
      return kv.txn(ops);
    },
  };
  const store = createResourceStore(racy);
  let calls = 0;
  const result = await store.update<Profile>('profile', { name: 'p' }, (cur) => {
    calls++;
    cur!.metadata.tags = [...(cur!.metadata.tags ?? []), 'mine'];
    return cur;
  });
  t.equal(calls, 2, 'the edit ran again on the fresh value');
  t.same(result!.metadata.tags, ['p', 'from-the-other-writer', 'mine'], 'no write was lost');
  t.same(((await seedStore.get('profile', { name: 'p' })) as Profile).metadata.tags, ['p', 'from-the-other-writer', 'mine']);
});

t.test('a failed transaction leaves every key as it was (memory KV)', async (t) => {
  const kv = memoryKV();
  const store = createResourceStore(kv);
  await store.create(profile('p'));
  const before = kv.snapshot();
  const rev = kv.revision;
  // A replace racing a delete of one key: the guarded txn fails and is retried on fresh data.
  await kv.delete('/calico/v1/policy/profile/p/labels');
  await store.replace(profile('p', { a: 'b' }));
  t.same(((await store.get('profile', { name: 'p' })) as Profile).metadata.labels, { a: 'b' });
  t.ok(kv.revision > rev);
  // Direct check of the KV's all-or-nothing txn, which the store relies on.
  const snap = kv.snapshot();
  await t.rejects(kv.txn([
    { op: 'put', key: '/calico/v1/policy/profile/q/rules', value: '{}', mode: 'create' },
    { op: 'put', key: '/calico/v1/policy/profile/p/rules', value: '{}', mode: 'create' },
  ]), { name: 'KeyExistsError' });
  t.same(kv.snapshot(), snap);
  t.not(before, snap);
});

t.test('the seeds\' resources survive a trip through the store unchanged', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { fixturesDir } = await import('../helpers/paths.js');
  const store = createResourceStore(memoryKV());
  for (const file of ['002-a-profiles', '002-b-policies', '004-k8s', '004-workloads', '004-allow-dns', '004-deny-egress']) {
    const resources = parseResources(await readFile(join(fixturesDir(), 'seeds', `${file}.yaml`), 'utf8'));
    for (const r of resources) {
      await store.apply(r);
      t.same(await store.get(r.kind, resourceIdOf(r)), r, `${file}: ${r.kind} ${r.metadata.name}`);
      t.same(resourceToKV((await store.get(r.kind, resourceIdOf(r)))!), resourceToKV(r));
    }
  }
});

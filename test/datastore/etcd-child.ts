// Opens the etcd store, watches, writes, then closes: the process must then exit
// on its own (test/datastore/etcd.test.ts checks that close() leaves nothing running).
import { openEtcdStore } from '../../src/datastore/etcd/store.js';

const endpoints = process.argv[2];
if (!endpoints) throw new Error('usage: etcd-child ENDPOINTS');
const store = await openEtcdStore(endpoints);
const start = await store.list('/child/');
await new Promise<void>((resolve, reject) => {
  store.watch('/child/', start.revision + 1, { onEvents: () => resolve(), onError: reject });
  void store.put('/child/k', 'v').catch(reject);
});
await store.close();
process.stdout.write('closed\n');

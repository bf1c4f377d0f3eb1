// A separate process using the embedded store, driven by test/datastore/embedded.test.ts.
//   writer <dir> <tag> <count> [compactAfterBytes]: puts /w/<tag>/<i> = v<i> and increments /counter
//     with compare-and-swap retries, printing "ack <i> <revision of the put> <Date.now()>" after each
//   forever <dir> <tag> [compactAfterBytes]: only the puts, without end (the test kills it)
//   compactions <dir> <n>: n rounds of one put (/w/c/<i>) and a compaction
import { RevisionConflictError, KeyExistsError } from '../../src/datastore/kv.js';
import { openEmbeddedStore, type EmbeddedStore } from '../../src/datastore/embedded/store.js';

const [mode, dir, ...rest] = process.argv.slice(2);
const out = (line: string) => process.stdout.write(line + '\n');

async function increment(store: EmbeddedStore): Promise<void> {
  for (;;) {
    const cur = await store.get('/counter');
    try {
      if (cur) await store.put('/counter', String(Number(cur.value) + 1), { expectModRevision: cur.modRevision });
      else await store.put('/counter', '1', { mode: 'create' });
      return;
    } catch (err) {
      if (!(err instanceof RevisionConflictError || err instanceof KeyExistsError)) throw err;
    }
  }
}

async function main(): Promise<void> {
  if (!mode || !dir) throw new Error('usage: embedded-child writer|forever|compactions DIR ...');
  if (mode === 'writer' || mode === 'forever') {
    const [tag, countArg, compactArg] = mode === 'writer' ? rest : [rest[0], 'Infinity', rest[1]];
    const store = await openEmbeddedStore(dir, { compactAfterBytes: compactArg ? Number(compactArg) : undefined });
    const count = Number(countArg);
    for (let i = 0; i < count; i++) {
      const rev = await store.put(`/w/${tag}/${i}`, `v${i}`);
      const at = Date.now();
      if (mode === 'writer') await increment(store);
      out(`ack ${i} ${rev} ${at}`);
    }
    await store.close();
  } else if (mode === 'compactions') {
    const store = await openEmbeddedStore(dir);
    for (let i = 0; i < Number(rest[0]); i++) {
      await store.put(`/w/c/${i}`, `v${i}`);
      await store.compact();
    }
    await store.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  out('done');
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});

// On-disk layout of the embedded store directory:
//   wal.<gen>       append-only log of the transactions after snapshot <gen>
//   snapshot.<gen>  every key at the snapshot's revision (absent for generation 0)
//   lock            the writers' lock (see lock.ts)
// A compaction writes snapshot <gen+1> and an empty wal <gen+1>, then deletes
// generation <gen>. The newest snapshot file names the current generation.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KVState } from './state.js';

export const walPath = (dir: string, gen: number): string => join(dir, `wal.${gen}`);
export const snapshotPath = (dir: string, gen: number): string => join(dir, `snapshot.${gen}`);
export const lockPath = (dir: string): string => join(dir, 'lock');

const FORMAT = 'tabby-kv-snapshot/1';

export interface SnapshotHeader {
  format: string;
  generation: number;
  revision: number;
  count: number;
}

export class CorruptSnapshotError extends Error {
  constructor(public readonly path: string, detail: string) {
    super(`datastore snapshot ${path} is unreadable: ${detail}`);
    this.name = 'CorruptSnapshotError';
  }
}

/** The current generation: the highest snapshot number, or 0 when there is none. */
export function latestGeneration(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const m = /^snapshot\.(\d+)$/.exec(name);
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  return latest;
}

/** Files of generations before `gen` and abandoned temporaries: safe to delete under the lock. */
export function obsoleteFiles(dir: string, gen: number): string[] {
  return readdirSync(dir)
    .filter((name) => {
      const m = /^(?:wal|snapshot)\.(\d+)$/.exec(name);
      return (m && Number(m[1]) < gen) || /^snapshot\.tmp\./.test(name);
    })
    .map((name) => join(dir, name));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, line: string): SnapshotHeader {
  let h: SnapshotHeader;
  try {
    h = JSON.parse(line) as SnapshotHeader;
  } catch {
    throw new CorruptSnapshotError(path, 'header is not JSON');
  }
  if (h.format !== FORMAT || !Number.isInteger(h.revision) || !Number.isInteger(h.count)) {
    throw new CorruptSnapshotError(path, `unknown header ${line.slice(0, 200)}`);
  }
  return h;
}

/** Reads only the first line: enough to learn the snapshot's revision. */
export function readSnapshotHeader(path: string): SnapshotHeader {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const end = buf.subarray(0, n).indexOf(0x0a);
    if (end < 0) throw new CorruptSnapshotError(path, 'no header line');
    return parseHeader(path, buf.toString('utf8', 0, end));
  } finally {
    closeSync(fd);
  }
}

/** Loads a snapshot into a fresh state (one JSON line per key after the header). */
export function readSnapshot(path: string, state: KVState): SnapshotHeader {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = parseHeader(path, lines[0] ?? '');
  if (lines.length !== header.count + 2 || lines[lines.length - 1] !== '') {
    throw new CorruptSnapshotError(path, `expected ${header.count} entries, found ${lines.length - 2}`);
  }
  for (let i = 1; i <= header.count; i++) {
    const [key, value, createRevision, modRevision] = JSON.parse(lines[i]!) as [string, string, number, number];
    state.entries.set(key, { value, createRevision, modRevision });
  }
  state.revision = header.revision;
  return header;
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

/**
 * Writes snapshot <gen> of `state` durably: temp file + fsync, an empty fsynced
 * wal <gen>, then rename + directory fsync. Returns the new wal's open descriptor.
 */
export function writeSnapshot(dir: string, gen: number, state: KVState): number {
  const tmp = join(dir, `snapshot.tmp.${process.pid}`);
  const keys = [...state.entries.keys()].sort();
  const parts: string[] = [JSON.stringify({ format: FORMAT, generation: gen, revision: state.revision, count: keys.length })];
  for (const key of keys) {
    const e = state.entries.get(key)!;
    parts.push(JSON.stringify([key, e.value, e.createRevision, e.modRevision]));
  }
  parts.push('');
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeAll(fd, Buffer.from(parts.join('\n'), 'utf8'), 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // A crash earlier may have left an orphan wal <gen>; 'w+' truncates it.
  const wal = openSync(walPath(dir, gen), 'w+', 0o644);
  try {
    fsyncSync(wal);
    renameSync(tmp, snapshotPath(dir, gen));
    fsyncDir(dir);
  } catch (err) {
    closeSync(wal);
    try { unlinkSync(tmp); } catch { /* already renamed or gone */ }
    throw err;
  }
  return wal;
}

export { writeAll };

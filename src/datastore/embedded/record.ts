// Framing of the embedded store's write-ahead log. One record is one committed
// transaction:  "T1 <payload bytes> <checksum>\n<payload JSON>\n".
// A record is trusted only when its header parses, all its bytes are present and
// the checksum matches; anything else at the end of the file is a torn write.
import { createHash } from 'node:crypto';

/** One key change inside a committed transaction. */
export interface LogChange {
  type: 'put' | 'delete';
  key: string;
  /** New value (put only). */
  value?: string;
  /** Revision the key was created at (put only; equals the record revision for a new key). */
  createRevision?: number;
}

/** One committed transaction: every change carries the record's revision. */
export interface LogRecord {
  revision: number;
  changes: LogChange[];
}

const MAGIC = 'T1';
const MAX_HEADER = 64;
const NEWLINE = 0x0a;

function checksum(payload: Buffer): string {
  return createHash('sha256').update(payload).digest('hex').slice(0, 16);
}

export function encodeRecord(record: LogRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.from(`${MAGIC} ${payload.length} ${checksum(payload)}\n`, 'utf8');
  return Buffer.concat([header, payload, Buffer.from('\n')]);
}

export type DecodeResult =
  | { kind: 'record'; record: LogRecord; next: number }
  /** Not a whole valid record at this offset (yet): a write in progress or a torn tail. */
  | { kind: 'stop' };

/** Decodes the record starting at `offset` of `buf`. */
export function decodeRecord(buf: Buffer, offset: number): DecodeResult {
  const headerEnd = buf.indexOf(NEWLINE, offset);
  if (headerEnd < 0 || headerEnd - offset > MAX_HEADER) return { kind: 'stop' };
  const m = /^T1 (\d{1,10}) ([0-9a-f]{16})$/.exec(buf.toString('utf8', offset, headerEnd));
  if (!m) return { kind: 'stop' };
  const length = Number(m[1]);
  const start = headerEnd + 1;
  const end = start + length;
  if (end + 1 > buf.length || buf[end] !== NEWLINE) return { kind: 'stop' };
  const payload = buf.subarray(start, end);
  if (checksum(payload) !== m[2]) return { kind: 'stop' };
  let record: LogRecord;
  try {
    record = JSON.parse(payload.toString('utf8')) as LogRecord;
  } catch {
    return { kind: 'stop' };
  }
  if (!Number.isInteger(record.revision) || !Array.isArray(record.changes)) return { kind: 'stop' };
  return { kind: 'record', record, next: end + 1 };
}

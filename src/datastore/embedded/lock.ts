// Inter-process lock for the embedded store: a lock file created with O_EXCL
// holding the owner's pid and process start time. A lock whose owner is gone
// (crashed, killed) is broken, under a second O_EXCL file so that two processes
// never both break it and then delete each other's fresh lock.
// Processes sharing a store must share a PID namespace.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

export class LockTimeoutError extends Error {
  constructor(public readonly path: string, public readonly holder: string) {
    super(`timed out waiting for the datastore lock ${path} (held by ${holder || 'unknown'})`);
    this.name = 'LockTimeoutError';
  }
}

/** Start time of a process (clock ticks since boot) from /proc, or '' where /proc is missing. */
function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing paren.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const ownIdentity = `${process.pid} ${processStartTime(process.pid)}`;

function isAlive(pid: number, startTime: string): boolean {
  if (pid === process.pid) return false; // we never leave our own lock behind (critical sections are synchronous)
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = processStartTime(pid);
  return startTime === '' || now === '' || now === startTime;
}

function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** A lock file is stale when its owner is dead, or it stayed empty (creator died mid-create). */
function isStale(path: string, holder: string): boolean {
  const m = /^(\d+) ?(\d*)$/.exec(holder);
  if (!m) return ageMs(path) > 2000;
  return !isAlive(Number(m[1]), m[2]);
}

export class FileLock {
  constructor(private readonly path: string) {}

  /** Who holds the lock, as written in the lock file ('' when free or unreadable). */
  holder(): string {
    try {
      return readHolder(this.path) ?? '';
    } catch {
      return '';
    }
  }

  /** One attempt; true when the lock is now ours. Synchronous so callers can run a critical section without yielding. */
  tryAcquire(): boolean {
    if (tryCreate(this.path, ownIdentity)) return true;
    const holder = readHolder(this.path);
    if (holder === undefined) return tryCreate(this.path, ownIdentity);
    if (isStale(this.path, holder)) this.breakStale(holder);
    return tryCreate(this.path, ownIdentity);
  }

  release(): void {
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private breakStale(seen: string): void {
    const breaker = this.path + '.break';
    if (!tryCreate(breaker, ownIdentity)) {
      // A breaker that died mid-break leaves this file; it is only ever held for microseconds.
      if (ageMs(breaker) > 5000) unlinkIfExists(breaker);
      return;
    }
    try {
      // Re-check under the breaker: the lock may have been released and re-taken meanwhile.
      if (readHolder(this.path) === seen) unlinkIfExists(this.path);
    } finally {
      unlinkIfExists(breaker);
    }
  }
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

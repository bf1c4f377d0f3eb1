// One watch = one etcd gRPC watch stream. It delivers each watch response as one
// batch (etcd never splits a revision across responses unless fragmenting is
// requested), and ends with exactly one onError on compaction (as
// RevisionTooOldError with etcd's compact revision) or on losing the connection.
import type { IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { RevisionTooOldError, type WatchEvent, type WatchHandlers } from '../kv.js';
import { prefixEnd } from './keys.js';

type WatchStream = Awaited<ReturnType<WatchClient['watch']>>;

export class WatchConnectionError extends Error {
  constructor(detail: string) {
    super(`etcd watch connection lost: ${detail}`);
    this.name = 'WatchConnectionError';
  }
}

export class EtcdWatch {
  private stream: WatchStream | undefined;
  private over = false;
  private ended: Promise<void> | undefined;

  constructor(
    private readonly client: WatchClient,
    private readonly prefix: string,
    private readonly fromRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly onOver: () => void,
  ) {}

  start(): void {
    this.client.watch().then(
      (stream) => this.attach(stream),
      (err: Error) => this.fail(new WatchConnectionError(err.message)),
    );
  }

  async cancel(): Promise<void> {
    if (this.over) return this.ended;
    this.finish();
    return this.ended;
  }

  private attach(stream: WatchStream): void {
    if (this.over) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream.on('data', (res: IWatchResponse) => this.onResponse(res));
    stream.on('error', (err: Error) => this.fail(new WatchConnectionError(err.message)));
    stream.on('end', () => this.fail(new WatchConnectionError('the server ended the stream')));
    const request: IWatchRequest = {
      create_request: {
        key: Buffer.from(this.prefix === '' ? '\0' : this.prefix),
        range_end: prefixEnd(this.prefix),
        // etcd reads start_revision 0 as "from now"; the contract means "every revision >= from".
        start_revision: Math.max(1, this.fromRevision),
      },
    };
    stream.write(request);
  }

  private onResponse(res: IWatchResponse): void {
    if (this.over) return;
    const compacted = Number(res.compact_revision ?? 0);
    if (compacted > 0) {
      this.fail(new RevisionTooOldError(this.fromRevision, compacted));
      return;
    }
    if (res.canceled) {
      this.fail(new WatchConnectionError(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (!res.events || res.events.length === 0) return; // created / progress notifications
    const events: WatchEvent[] = res.events.map((ev) => {
      const key = ev.kv.key.toString('utf8');
      const modRevision = Number(ev.kv.mod_revision);
      return ev.type === 'Delete' ? { type: 'delete', key, modRevision } : { type: 'put', key, value: ev.kv.value.toString('utf8'), modRevision };
    });
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      setImmediate(() => {
        throw err; // a handler's bug surfaces like an EventEmitter listener's would
      });
    }
  }

  private fail(err: Error): void {
    if (this.over) return;
    this.finish();
    this.handlers.onError(err);
  }

  /** Ends the stream; the watch reports nothing after this. */
  private finish(): void {
    this.over = true;
    this.onOver();
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) {
      this.ended = Promise.resolve();
      return;
    }
    // Listeners stay attached but see `over`; cancelling makes grpc emit CANCELLED, then the status.
    this.ended = new Promise<void>((resolve) => {
      stream.on('status', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
    stream.cancel();
  }
}

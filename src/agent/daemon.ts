// `tabby agent` as a daemon: list and watch the datastore, feed every change to the
// incremental calc, coalesce bursts, apply through the dataplane, and keep doing so through
// datastore outages, compactions, bad values and failed applies. The kernel is only ever
// written with a complete desired state (never before the first full listing), and never
// flushed: a stop or a crash leaves the last applied rules in force.
import type { Logger } from 'pino';
import type { KVStore, WatchEvent } from '../datastore/kv.js';
import { createDataplane, type Dataplane } from '../../dataplane/dataplane.js';
import { createCommandRunner, type CommandRunner } from '../../dataplane/runner.js';
import { CALICO_PREFIX } from '../model/storage.js';
import { Backoff } from './backoff.js';
import { Coalescer } from './coalescer.js';
import type { AgentConfig } from './config.js';
import { DatastoreSync, type SnapshotReason } from './datastore-sync.js';
import { startHealthServer } from './health-server.js';
import { KernelWriter } from './kernel-writer.js';
import { createAgentLogger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { deltaSize, isEmptyDelta, PolicyCalc } from './policy-calc.js';
import { realTimers, type Timers } from './timers.js';
import type { KVList } from '../datastore/kv.js';

export interface AgentDeps {
  /** Opens the datastore the config names (etcd endpoints, else the embedded store). */
  openDatastore(config: AgentConfig): Promise<KVStore>;
  /** Runs iptables, ipset and ip (default: on this host). */
  runner?: CommandRunner;
  /** Default: pino JSON on stdout at config.logLevel. */
  logger?: Logger;
  /** Dataplanes to apply through (default: one per address family on `runner`). */
  dataplanes?: Dataplane[];
  timers?: Timers;
  /** Collect Node process metrics as well (default true). */
  processMetrics?: boolean;
}

export interface RunningAgent {
  readonly metrics: AgentMetrics;
  /** Where /livez, /readyz and /metrics are served. */
  readonly healthAddress: { address: string; port: number };
  /** Resolves after the first successful apply. */
  readonly ready: Promise<void>;
  isReady(): boolean;
  /** Stops watching and applying; leaves the kernel as it is. */
  stop(): Promise<void>;
}

/** Waits before retrying plumbing for an endpoint whose interface does not exist yet. */
const PENDING_INTERFACE_RETRY = { initialMs: 1000, maxMs: 30_000 };

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const log = deps.logger ?? createAgentLogger(config.logLevel);
  const timers = deps.timers ?? realTimers;
  const metrics = new AgentMetrics({ processMetrics: deps.processMetrics });
  const runner = deps.runner ?? createCommandRunner();
  const dataplanes = deps.dataplanes ?? await hostDataplanes(config, runner, log);
  const writer = new KernelWriter(dataplanes, config.markMask);
  const calc = new PolicyCalc(config.nodeName, log.child({ component: 'calc' }));

  let ready = false;
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => { markReady = resolve; });
  let haveSnapshot = false;
  /** The next apply must run even if calc reports no change (after a failure, a refresh, a new snapshot). */
  let forceApply = false;
  let reread = false;
  let stopped = false;
  const applyBackoff = new Backoff(config.applyRetryBackoffMs, config.applyRetryBackoffMaxMs);
  const pendingBackoff = new Backoff(PENDING_INTERFACE_RETRY.initialMs, PENDING_INTERFACE_RETRY.maxMs);
  const timersSet = new Set<unknown>();
  const later = (ms: number, fn: () => void): void => {
    const h = timers.setTimeout(() => { timersSet.delete(h); fn(); }, ms);
    timersSet.add(h);
  };
  let retryScheduled = false;

  const health = await startHealthServer(config.healthHost, config.healthPort, {
    live: () => !stopped,
    ready: () => ready && !stopped,
  }, metrics);
  log.info({
    node: config.nodeName,
    datastore: config.etcdEndpoints.length > 0 ? { etcd: config.etcdEndpoints } : { dataDir: config.dataDir },
    ipVersions: dataplanes.map((d) => d.ipVersion),
    coalesceMs: config.coalesceMs,
    refreshIntervalSeconds: config.refreshIntervalSeconds,
    health: `${health.address.address}:${health.address.port}`,
  }, 'tabby agent starting');

  let store: KVStore;
  try {
    store = await deps.openDatastore(config);
  } catch (err) {
    await health.close();
    throw err;
  }

  async function applyNow(): Promise<void> {
    if (!haveSnapshot || stopped) return;
    const taken = calc.take();
    const size = deltaSize(taken.delta);
    if (isEmptyDelta(taken.delta) && !forceApply) return;
    const wasReread = reread;
    forceApply = false;
    reread = false;
    metrics.calcDuration.observe(taken.calcMs / 1000);
    metrics.localEndpoints.set(taken.stats.localEndpoints);
    metrics.activePolicies.set(taken.stats.activePolicies);
    metrics.activeProfiles.set(taken.stats.activeProfiles);
    const timer = metrics.applyDuration.startTimer();
    try {
      const report = await writer.write(taken.state, { reread: wasReread, uninstall: taken.datastoreEmpty, delta: taken.delta });
      timer();
      metrics.applies.inc();
      for (const s of report.ipSets) {
        metrics.ipSets.set({ ip_version: String(s.ipVersion) }, s.sets);
        metrics.ipSetMembers.set({ ip_version: String(s.ipVersion) }, s.members);
      }
      if (wasReread) metrics.lastResync.set(Date.now() / 1000);
      applyBackoff.reset();
      // Applies that wrote nothing (a refresh in sync, a plumbing retry) log at debug.
      const quiet = !report.changed && report.plumbingChanges === 0 && isEmptyDelta(taken.delta);
      log[quiet ? 'debug' : 'info']({
        ...size,
        localEndpoints: taken.stats.localEndpoints,
        activePolicies: taken.stats.activePolicies,
        uninstall: taken.datastoreEmpty,
        changed: report.changed,
        chainsTouched: report.chainsTouched,
        plumbingChanges: report.plumbingChanges,
        reread: wasReread,
        calcMs: round(taken.calcMs),
        compileMs: round(report.compileMs),
        writeMs: round(report.writeMs),
      }, 'applied');
      if (!ready) {
        ready = true;
        metrics.ready.set(1);
        markReady();
        log.info({}, 'ready: first apply done');
      }
      if (report.pendingInterfaces.length > 0) {
        const wait = pendingBackoff.next();
        log.debug({ interfaces: report.pendingInterfaces, retryInMs: wait }, 'workload interfaces missing; retrying their routes later');
        scheduleRetry(wait, false);
      } else {
        pendingBackoff.reset();
      }
    } catch (err) {
      timer();
      metrics.applyErrors.inc();
      const wait = applyBackoff.next();
      log.error({ err: errorText(err), attempt: applyBackoff.attempts, retryInMs: wait },
        'apply failed; the previous rules stay in force; retrying');
      scheduleRetry(wait, true);
    }
  }

  const coalescer = new Coalescer(config.coalesceMs, applyNow, timers);

  function scheduleRetry(ms: number, rereadKernel: boolean): void {
    if (rereadKernel) reread = true;
    forceApply = true;
    if (retryScheduled) return;
    retryScheduled = true;
    later(ms, () => {
      retryScheduled = false;
      coalescer.trigger();
    });
  }

  const sync = new DatastoreSync(store, {
    onSnapshot(list: KVList, reason: SnapshotReason) {
      const summary = calc.resync(list.items);
      metrics.datastoreResyncs.inc({ reason });
      metrics.invalidValues.inc(summary.invalid);
      haveSnapshot = true;
      forceApply = true;
      coalescer.trigger();
    },
    onEvents(events: WatchEvent[]) {
      metrics.datastoreEvents.inc(events.length);
      const summary = calc.ingest(events);
      metrics.invalidValues.inc(summary.invalid);
      log.debug({ events: events.length, revision: events[events.length - 1]!.modRevision }, 'datastore events');
      coalescer.trigger();
    },
  }, {
    prefix: CALICO_PREFIX,
    backoff: { initialMs: config.reconnectBackoffMs, maxMs: config.reconnectBackoffMaxMs },
    log: log.child({ component: 'datastore' }),
    timers,
  });
  sync.start();

  // Periodic refresh: re-read the kernel and repair whatever another program changed.
  const refresh = (): void => {
    later(config.refreshIntervalSeconds * 1000, () => {
      if (stopped) return;
      if (haveSnapshot) {
        reread = true;
        forceApply = true;
        coalescer.trigger();
      }
      refresh();
    });
  };
  if (config.refreshIntervalSeconds > 0) refresh();

  return {
    metrics,
    healthAddress: { address: health.address.address, port: health.address.port },
    ready: readyPromise,
    isReady: () => ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const h of timersSet) timers.clearTimeout(h);
      timersSet.clear();
      await sync.stop();
      await coalescer.stop();
      await store.close().catch(() => undefined);
      await health.close();
      log.info({}, 'tabby agent stopped; the rules in the kernel stay in force');
    },
  };
}

/**
 * Runs the agent until SIGTERM or SIGINT, then stops it cleanly (the kernel keeps the rules).
 * Resolves to the exit status.
 */
export async function runAgent(config: AgentConfig, deps: AgentDeps): Promise<number> {
  const logger = deps.logger ?? createAgentLogger(config.logLevel);
  let agent: RunningAgent;
  try {
    agent = await startAgent(config, { ...deps, logger });
  } catch (err) {
    logger.fatal({ err: errorText(err) }, 'tabby agent could not start');
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  logger.info({ signal }, 'stopping');
  await agent.stop();
  return 0;
}

/** One dataplane per address family; IPv6 only when asked for and ip6tables is there. */
async function hostDataplanes(config: AgentConfig, runner: CommandRunner, log: Logger): Promise<Dataplane[]> {
  const dpLog = log.child({ component: 'dataplane' });
  const make = (ipVersion: 4 | 6): Dataplane => createDataplane({
    ipVersion,
    runner,
    logger: { warn: (o, m) => dpLog.warn(o, m), debug: (o, m) => dpLog.debug(o, m) },
  });
  const out = [make(4)];
  if (config.ipv6) {
    const v6 = make(6);
    try {
      await v6.backend();
      out.push(v6);
    } catch (err) {
      log.warn({ err: errorText(err) }, 'no usable ip6tables; programming IPv4 only');
    }
  }
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

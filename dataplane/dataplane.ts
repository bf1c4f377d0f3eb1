// One address family's kernel side: reads the filter table and IP sets, plans
// the minimal change, writes it (IP set creates/updates, then one atomic
// iptables-restore, then IP set destroys), retries with backoff after
// re-reading the kernel, and keeps workload routes and neighbours in step.
// It remembers the state its last successful apply left behind, so a caller
// that trusts nobody else touched the kernel can skip the re-read.
import type { LocalEndpoint } from '../compiler/desired-state.js';
import type { Ruleset } from '../compiler/ruleset.js';
import type { IptablesBackend, IptablesMode } from './backend.js';
import { detectBackend } from './backend.js';
import { diffRuleset } from './diff.js';
import type { IpSetPlan, IpSetPlanOptions } from './ipset-plan.js';
import { ipSetsAfter, planIpSets } from './ipset-plan.js';
import type { IptablesPlan } from './iptables-plan.js';
import { chainsTouched, filterTableAfter, planIptables } from './iptables-plan.js';
import { readKernelState } from './kernel-state.js';
import type { PlumbingOptions, PlumbingResult, PlumbingState } from './plumbing.js';
import { readPlumbing, syncWorkloadPlumbing } from './plumbing.js';
import type { CommandRunner } from './runner.js';
import { CommandError } from './runner.js';
import type { KernelState } from './types.js';
import type { DesiredRuleset } from './validate.js';
import { validateRuleset } from './validate.js';

export interface DataplanePlan {
  iptables: IptablesPlan;
  ipSets: IpSetPlan;
}

export interface ApplyResult extends DataplanePlan {
  /** True when anything was written to iptables or ipset. */
  changed: boolean;
  /** Attempts it took (1 when the first one succeeded). */
  attempts: number;
  /** Every chain the iptables input named, sorted. */
  chainsTouched: string[];
  /** Present when endpoints were passed to apply(). */
  plumbing?: PlumbingResult;
}

export interface ApplyOptions {
  /** Local endpoints whose routes, neighbours and sysctls to keep in step; omitted: plumbing untouched. */
  endpoints?: Iterable<LocalEndpoint>;
  /**
   * Plan against the state the last successful apply left instead of re-reading the kernel,
   * and skip the plumbing sync when the endpoints are the very objects it last synced.
   */
  useCache?: boolean;
}

export interface DataplaneLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DataplaneOptions {
  ipVersion: 4 | 6;
  runner: CommandRunner;
  /** A detected backend, a forced mode, or 'auto' (default). */
  backend?: IptablesBackend | IptablesMode | 'auto';
  /** Attempts per apply (default 3) and the first backoff (default 100 ms, doubling). */
  retry?: { attempts?: number; backoffMs?: number };
  ipSets?: IpSetPlanOptions;
  plumbing?: PlumbingOptions;
  logger?: DataplaneLogger;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export class DataplaneApplyError extends Error {
  constructor(
    readonly phase: 'ipset-pre' | 'iptables' | 'ipset-post' | 'read',
    readonly attempts: number,
    override readonly cause: Error,
    /** The plan of the last attempt (with the exact inputs). */
    readonly plan?: DataplanePlan,
  ) {
    super(`dataplane apply failed in ${phase} after ${attempts} attempt(s): ${cause.message}`);
    this.name = 'DataplaneApplyError';
  }
}

export interface Dataplane {
  readonly ipVersion: 4 | 6;
  /** The iptables backend in use (detected once, on first need). */
  backend(): Promise<IptablesBackend>;
  readState(): Promise<KernelState>;
  /** Pure: what apply() would write to get from `current` to `desired`. */
  plan(desired: Ruleset, current: KernelState): DataplanePlan;
  apply(desired: Ruleset, options?: ApplyOptions): Promise<ApplyResult>;
  /** Unified diff from the kernel to `desired`; '' when in sync. Reads only. */
  diff(desired: Ruleset): Promise<string>;
  syncEndpoints(endpoints: Iterable<LocalEndpoint>): Promise<PlumbingResult>;
  readPlumbing(): Promise<PlumbingState>;
  /** Forget the remembered kernel state (the next apply re-reads). */
  invalidate(): void;
}

const noPlumbingChange = (): PlumbingResult => ({
  routesAdded: [], routesRemoved: [], neighboursAdded: [], neighboursRemoved: [], sysctlsSet: [], pendingInterfaces: [], commands: [],
});

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createDataplane(options: DataplaneOptions): Dataplane {
  const { ipVersion, runner } = options;
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`ipVersion: must be 4 or 6: ${JSON.stringify(ipVersion)}`);
  const attempts = Math.max(1, options.retry?.attempts ?? 3);
  const backoffMs = options.retry?.backoffMs ?? 100;
  const sleep = options.sleep ?? defaultSleep;
  const log = options.logger;
  let backendPromise: Promise<IptablesBackend> | undefined =
    typeof options.backend === 'object' ? Promise.resolve(options.backend) : undefined;
  let cache: KernelState | undefined;
  /**
   * The endpoint records the last plumbing sync brought fully in step (nothing pending). calc
   * builds a new LocalEndpoint object whenever one changes, so while the same objects come
   * back, routes and neighbours need neither a read nor a write: the periodic re-read
   * (invalidate) repairs anything changed behind our back.
   */
  let plumbedEndpoints: Set<LocalEndpoint> | undefined;

  const backend = (): Promise<IptablesBackend> => {
    backendPromise ??= detectBackend(runner, ipVersion, {
      mode: typeof options.backend === 'string' ? options.backend : 'auto',
    }).catch((err: unknown) => { backendPromise = undefined; throw err; });
    return backendPromise;
  };

  const readState = async (): Promise<KernelState> => readKernelState(runner, await backend());

  const planFor = (want: DesiredRuleset, current: KernelState): DataplanePlan => ({
    iptables: planIptables(current.filter, want),
    ipSets: planIpSets(current.ipSets, current.filter, want, options.ipSets),
  });

  const ipsetRestore = (input: string): Promise<unknown> => runner.run('ipset', ['restore'], { input });

  async function apply(desired: Ruleset, applyOptions: ApplyOptions = {}): Promise<ApplyResult> {
    // Validation happens before anything is read or written.
    const t0 = performance.now();
    const want = validateRuleset(desired, ipVersion);
    const validateMs = performance.now() - t0;
    const endpoints = applyOptions.endpoints === undefined ? undefined : [...applyOptions.endpoints];
    const b = await backend();
    let current: KernelState;
    try {
      current = applyOptions.useCache && cache ? cache : await readKernelState(runner, b);
    } catch (err) {
      throw new DataplaneApplyError('read', 1, err as Error);
    }

    for (let attempt = 1; ; attempt++) {
      const t1 = performance.now();
      const plan = planFor(want, current);
      const t2 = performance.now();
      let phase: DataplaneApplyError['phase'] = 'ipset-pre';
      try {
        if (plan.ipSets.preInput) await ipsetRestore(plan.ipSets.preInput);
        phase = 'iptables';
        if (plan.iptables.input) {
          await runner.run(b.restore, ['--noflush', ...b.waitArgs], { input: plan.iptables.input });
        }
        phase = 'ipset-post';
        if (plan.ipSets.postInput) await ipsetRestore(plan.ipSets.postInput);
        cache = {
          ipVersion,
          // Nothing written to iptables: the table reads back as it was.
          filter: plan.iptables.input === null ? current.filter : filterTableAfter(current.filter, want, plan.iptables),
          ipSets: ipSetsAfter(current.ipSets, want, plan.ipSets),
        };
      } catch (err) {
        cache = undefined;
        if (!(err instanceof CommandError)) throw err;
        if (attempt >= attempts) throw new DataplaneApplyError(phase, attempt, err, plan);
        log?.warn({ ipVersion, attempt, phase, err: err.message }, 'dataplane apply failed; re-reading the kernel and retrying');
        await sleep(backoffMs * 2 ** (attempt - 1));
        try {
          current = await readKernelState(runner, b);
        } catch (readErr) {
          throw new DataplaneApplyError('read', attempt, readErr as Error, plan);
        }
        continue;
      }
      const result: ApplyResult = {
        ...plan,
        changed: Boolean(plan.iptables.input || plan.ipSets.preInput || plan.ipSets.postInput),
        attempts: attempt,
        chainsTouched: chainsTouched(plan.iptables),
      };
      const t3 = performance.now();
      // Routes after rules: a new workload is reachable only once its policy is in force.
      if (endpoints) result.plumbing = await syncPlumbing(endpoints, applyOptions.useCache === true);
      const ms = (x: number): number => Math.round(x * 10) / 10;
      log?.debug({
        ipVersion, attempt, chains: result.chainsTouched,
        validateMs: ms(validateMs), planMs: ms(t2 - t1), kernelMs: ms(t3 - t2), plumbingMs: ms(performance.now() - t3),
      }, 'dataplane applied');
      return result;
    }
  }

  async function syncPlumbing(endpoints: LocalEndpoint[], useCache: boolean): Promise<PlumbingResult> {
    const known = plumbedEndpoints;
    if (useCache && known && known.size === endpoints.length && endpoints.every((ep) => known.has(ep))) return noPlumbingChange();
    plumbedEndpoints = undefined;
    const result = await syncWorkloadPlumbing(runner, ipVersion, endpoints, options.plumbing);
    if (result.pendingInterfaces.length === 0) plumbedEndpoints = new Set(endpoints);
    return result;
  }

  // Applies run one at a time: each plans against what the previous one left.
  let queue: Promise<unknown> = Promise.resolve();
  const serialApply = (desired: Ruleset, applyOptions?: ApplyOptions): Promise<ApplyResult> => {
    const next = queue.then(() => apply(desired, applyOptions));
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    ipVersion,
    backend,
    readState,
    plan: (desired, current) => planFor(validateRuleset(desired, ipVersion), current),
    apply: serialApply,
    diff: async (desired) => {
      const want = validateRuleset(desired, ipVersion);
      return diffRuleset(await readState(), want);
    },
    syncEndpoints: (endpoints) => syncWorkloadPlumbing(runner, ipVersion, endpoints, options.plumbing),
    readPlumbing: () => readPlumbing(runner, ipVersion, options.plumbing),
    invalidate: () => { cache = undefined; plumbedEndpoints = undefined; },
  };
}

// What create, apply, replace and delete share (calicoctl v1's
// executeConfigCommand): act on each resource in order, stop at the first
// error, then report how far it got in calicoctl's words.
import {
  ResourceExistsError,
  ResourceNotFoundError,
  resourceIdOf,
  type ResourceStore,
} from '../../datastore/resource-store.js';
import type { Resource, ResourceKind } from '../../model/types.js';

export type ConfigAction = 'create' | 'apply' | 'replace' | 'delete';

const PAST_TENSE: Record<ConfigAction, string> = {
  create: 'created',
  apply: 'applied',
  replace: 'replaced',
  delete: 'deleted',
};

export interface ConfigOptions {
  /** create: count an existing resource as created (`--skip-exists`). */
  skipExists?: boolean;
  /** delete: count a missing resource as deleted (`--skip-not-exists`). */
  skipNotExists?: boolean;
}

export interface ConfigResults {
  numResources: number;
  /** Resources handled before the first error (all of them when there is none). */
  numHandled: number;
  /** The kind of every resource, when they are all of one kind. */
  singleKind?: ResourceKind;
  error?: Error;
}

/** One resource to act on: its kind (for the report) and the store call. */
export interface ConfigStep {
  kind: ResourceKind;
  run(): Promise<void>;
}

/** The steps of `action` applied to each resource of a file, in file order. */
export function stepsFor(store: ResourceStore, action: ConfigAction, resources: readonly Resource[]): ConfigStep[] {
  return resources.map((resource) => ({ kind: resource.kind, run: () => act(store, action, resource) }));
}

/** Runs the steps in order and stops at the first error that is not skipped. */
export async function executeSteps(steps: readonly ConfigStep[], options: ConfigOptions = {}): Promise<ConfigResults> {
  const kinds = new Set(steps.map((s) => s.kind));
  const results: ConfigResults = {
    numResources: steps.length,
    numHandled: 0,
    singleKind: kinds.size === 1 ? steps[0]!.kind : undefined,
  };
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      const skipped =
        (err instanceof ResourceExistsError && options.skipExists === true) ||
        (err instanceof ResourceNotFoundError && options.skipNotExists === true);
      if (!skipped) {
        results.error = err instanceof Error ? err : new Error(String(err));
        break;
      }
    }
    results.numHandled++;
  }
  return results;
}

function act(store: ResourceStore, action: ConfigAction, resource: Resource): Promise<void> {
  switch (action) {
    case 'create':
      return store.create(resource);
    case 'apply':
      return store.apply(resource);
    case 'replace':
      return store.replace(resource);
    case 'delete':
      return store.delete(resource.kind, resourceIdOf(resource));
  }
}

/** The lines calicoctl v1 prints for the results of an action. */
export function reportResults(action: ConfigAction, results: ConfigResults): string {
  const done = PAST_TENSE[action];
  const kind = results.singleKind;
  const err = results.error?.message;
  if (results.numHandled === 0) {
    if (results.numResources === 0) return 'No resources specified in file\n';
    if (results.numResources === 1) return `Failed to ${action} '${kind}' resource: ${err}\n`;
    if (kind !== undefined) return `Failed to ${action} any '${kind}' resources: ${err}\n`;
    return `Failed to ${action} any resources: ${err}\n`;
  }
  if (results.error === undefined) {
    if (kind !== undefined) return `Successfully ${done} ${results.numHandled} '${kind}' resource(s)\n`;
    return `Successfully ${done} ${results.numHandled} resource(s)\n`;
  }
  const what = kind !== undefined ? `'${kind}' resources` : 'resources';
  return (
    `Partial success: ${done} the first ${results.numHandled} out of ${results.numResources} ${what}:\n` +
    `Hit error: ${err}\n`
  );
}

/** True when the results mean the command failed (exit status 1). */
export function failed(results: ConfigResults): boolean {
  return results.error !== undefined || results.numResources === 0;
}

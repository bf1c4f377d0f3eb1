// Label inheritance, incrementally: endpoints' own labels plus what their profiles contribute.
// Endpoints with the same profile list share one inherited-label object, and an endpoint whose
// own labels or inherited labels are empty shares the other object outright.
import type { Labels } from '../model/types.js';
import { labelsEqual, mergeLabels, profileLabels, type ProfileLabelSource } from './labels.js';

/** The labels one profile list contributes, shared by every endpoint with that list. */
interface ProfileListEntry {
  /** JSON of profileIds, the entry's key in `lists` (one string shared by its endpoints). */
  key: string;
  profileIds: readonly string[];
  labels: Labels;
  endpoints: Set<string>;
}

interface EndpointEntry {
  own: Labels;
  listKey: string;
  effective: Labels;
}

export type LabelsListener = (endpointKey: string, labels: Labels | undefined) => void;

export class LabelInheritance {
  private readonly profiles = new Map<string, ProfileLabelSource>();
  private readonly lists = new Map<string, ProfileListEntry>();
  private readonly listsByProfile = new Map<string, Set<string>>();
  private readonly endpoints = new Map<string, EndpointEntry>();
  private readonly lookup = (p: string): ProfileLabelSource | undefined => this.profiles.get(p);

  /** Called with an endpoint's effective labels whenever they change, undefined when it goes. */
  constructor(private readonly onLabels: LabelsListener) {}

  updateEndpoint(key: string, own: Labels, profileIds: readonly string[]): void {
    const listKey = JSON.stringify(profileIds);
    const old = this.endpoints.get(key);
    if (old !== undefined && old.listKey === listKey && labelsEqual(old.own, own)) return;
    const list = this.acquireList(listKey, profileIds, key);
    if (old !== undefined && old.listKey !== listKey) this.releaseList(old.listKey, key);
    const effective = mergeLabels(own, list.labels);
    this.endpoints.set(key, { own, listKey: list.key, effective });
    if (old === undefined || !labelsEqual(old.effective, effective)) this.onLabels(key, effective);
  }

  removeEndpoint(key: string): void {
    const old = this.endpoints.get(key);
    if (old === undefined) return;
    this.endpoints.delete(key);
    this.releaseList(old.listKey, key);
    this.onLabels(key, undefined);
  }

  updateProfileLabels(profile: string, labels: Labels | undefined): void {
    const p = this.profiles.get(profile) ?? {};
    this.setProfile(profile, { labels, tags: p.tags });
  }

  updateProfileTags(profile: string, tags: readonly string[] | undefined): void {
    const p = this.profiles.get(profile) ?? {};
    this.setProfile(profile, { labels: p.labels, tags });
  }

  private setProfile(profile: string, source: { labels: Labels | undefined; tags: readonly string[] | undefined }): void {
    if (source.labels === undefined && source.tags === undefined) this.profiles.delete(profile);
    else {
      const p: ProfileLabelSource = {};
      if (source.labels !== undefined) p.labels = source.labels;
      if (source.tags !== undefined) p.tags = source.tags;
      this.profiles.set(profile, p);
    }
    for (const listKey of this.listsByProfile.get(profile) ?? []) {
      const list = this.lists.get(listKey)!;
      const labels = profileLabels(list.profileIds, this.lookup);
      if (labelsEqual(labels, list.labels)) continue;
      list.labels = labels;
      for (const key of list.endpoints) {
        const ep = this.endpoints.get(key)!;
        const effective = mergeLabels(ep.own, labels);
        const changed = !labelsEqual(ep.effective, effective);
        ep.effective = effective;
        if (changed) this.onLabels(key, effective);
      }
    }
  }

  private acquireList(listKey: string, profileIds: readonly string[], endpointKey: string): ProfileListEntry {
    let list = this.lists.get(listKey);
    if (list === undefined) {
      list = { key: listKey, profileIds, labels: profileLabels(profileIds, this.lookup), endpoints: new Set() };
      this.lists.set(listKey, list);
      for (const p of profileIds) {
        let keys = this.listsByProfile.get(p);
        if (keys === undefined) this.listsByProfile.set(p, (keys = new Set()));
        keys.add(listKey);
      }
    }
    list.endpoints.add(endpointKey);
    return list;
  }

  private releaseList(listKey: string, endpointKey: string): void {
    const list = this.lists.get(listKey);
    if (list === undefined) return;
    list.endpoints.delete(endpointKey);
    if (list.endpoints.size > 0) return;
    this.lists.delete(listKey);
    for (const p of list.profileIds) {
      const keys = this.listsByProfile.get(p);
      if (keys && keys.delete(listKey) && keys.size === 0) this.listsByProfile.delete(p);
    }
  }
}

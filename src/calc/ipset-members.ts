// IP set membership: for every active set (a selector used by an active rule) the addresses of
// all endpoints, on every node, whose effective labels it matches. Matching comes from a
// SelectorIndex over all endpoints; this component turns matches into members, counts
// addresses that two endpoints share, and records what changed since the last flush.
import type { Labels } from '../model/types.js';
import type { Selector } from '../selector/types.js';
import type { IpSetMembers } from '../../compiler/desired-state.js';
import { SelectorIndex } from './selector-index.js';

export interface EndpointAddresses {
  v4: readonly string[];
  v6: readonly string[];
}

export interface IpSetMemberDelta {
  addedV4: string[];
  removedV4: string[];
  addedV6: string[];
  removedV6: string[];
}

export interface IpSetChanges {
  /** Sets that did not exist at the last flush, with all their members. */
  created: Map<string, IpSetMembers>;
  /** Sets that existed at the last flush and exist no more. */
  deleted: Set<string>;
  /** Member changes of sets that existed at the last flush and still exist. */
  members: Map<string, IpSetMemberDelta>;
}

interface LiveSet {
  selector: string;
  v4: Set<string>;
  v6: Set<string>;
  /** Bumped on every member change (IpSetMembers.revision). */
  revision: number;
}

/** Whether each touched address was present at the last flush. */
interface MemberOrigin {
  v4: Map<string, boolean>;
  v6: Map<string, boolean>;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a === b || (a.length === b.length && a.every((x, i) => x === b[i]));

export class IpSetMembership {
  private readonly index = new SelectorIndex({
    onMatchStarted: (setId, ep) => this.addEndpoint(setId, ep),
    onMatchStopped: (setId, ep) => this.removeEndpoint(setId, ep),
  });
  private readonly addresses = new Map<string, EndpointAddresses>();
  private readonly live = new Map<string, LiveSet>();
  /** Extra references to an address already in a set, keyed "<set id>\0<address>". */
  private readonly extraRefs = new Map<string, number>();

  private readonly createdSinceFlush = new Set<string>();
  /** Sets deleted since the last flush that existed at it, with their members then. */
  private readonly deletedSinceFlush = new Map<string, LiveSet>();
  private readonly origins = new Map<string, MemberOrigin>();
  private memberTotal = 0;

  /** Active sets by id (live view). */
  get sets(): ReadonlyMap<string, IpSetMembers> {
    return this.live;
  }

  /** Members of all active sets, IPv4 and IPv6 together. */
  get memberCount(): number {
    return this.memberTotal;
  }

  // ------------------------------------------------------------------ sets

  activate(id: string, selector: Selector): void {
    if (this.live.has(id)) return;
    this.live.set(id, { selector: selector.toString(), v4: new Set(), v6: new Set(), revision: 0 });
    if (!this.deletedSinceFlush.has(id)) this.createdSinceFlush.add(id);
    this.index.updateSelector(id, selector);
  }

  deactivate(id: string): void {
    const set = this.live.get(id);
    if (set === undefined) return;
    this.live.delete(id);
    this.memberTotal -= set.v4.size + set.v6.size;
    this.index.removeSelector(id); // its stop events find no live set and do nothing
    if (this.createdSinceFlush.delete(id)) {
      // Created and deleted between two flushes: nobody saw it.
    } else if (!this.deletedSinceFlush.has(id)) {
      this.deletedSinceFlush.set(id, this.membersAtLastFlush(id, set));
    }
    this.origins.delete(id);
    for (const a of set.v4) this.extraRefs.delete(`${id}\0${a}`);
    for (const a of set.v6) this.extraRefs.delete(`${id}\0${a}`);
  }

  // ------------------------------------------------------------------ endpoints

  /** Effective labels of any endpoint on any node; undefined when it is gone. */
  updateLabels(endpointKey: string, labels: Labels | undefined): void {
    if (labels === undefined) this.index.removeItem(endpointKey);
    else this.index.updateItem(endpointKey, labels);
  }

  /** The endpoint's addresses; undefined when it is gone (after its labels went). */
  updateAddresses(endpointKey: string, addrs: EndpointAddresses | undefined): void {
    const old = this.addresses.get(endpointKey);
    if (addrs === undefined) {
      this.addresses.delete(endpointKey);
      return;
    }
    if (old !== undefined && sameList(old.v4, addrs.v4) && sameList(old.v6, addrs.v6)) return;
    this.index.forEachSelectorMatching(endpointKey, (setId) => {
      const set = this.live.get(setId);
      if (!set) return;
      if (old) this.removeAddresses(setId, set, old);
      this.addAddresses(setId, set, addrs);
    });
    this.addresses.set(endpointKey, addrs);
  }

  // ------------------------------------------------------------------ flush

  takeChanges(): IpSetChanges {
    const out: IpSetChanges = { created: new Map(), deleted: new Set(), members: new Map() };
    for (const id of this.createdSinceFlush) out.created.set(id, this.live.get(id)!);
    for (const [id, before] of this.deletedSinceFlush) {
      const now = this.live.get(id);
      if (now === undefined) out.deleted.add(id);
      else {
        const d = diffMembers(before, now);
        if (d) out.members.set(id, d);
      }
    }
    for (const [id, origin] of this.origins) {
      const set = this.live.get(id)!;
      const d: IpSetMemberDelta = { addedV4: [], removedV4: [], addedV6: [], removedV6: [] };
      for (const [a, was] of origin.v4) {
        const is = set.v4.has(a);
        if (is && !was) d.addedV4.push(a);
        else if (was && !is) d.removedV4.push(a);
      }
      for (const [a, was] of origin.v6) {
        const is = set.v6.has(a);
        if (is && !was) d.addedV6.push(a);
        else if (was && !is) d.removedV6.push(a);
      }
      if (d.addedV4.length + d.removedV4.length + d.addedV6.length + d.removedV6.length > 0) out.members.set(id, d);
    }
    this.createdSinceFlush.clear();
    this.deletedSinceFlush.clear();
    this.origins.clear();
    return out;
  }

  // ------------------------------------------------------------------ internals

  private addEndpoint(setId: string, endpointKey: string): void {
    const set = this.live.get(setId);
    const addrs = this.addresses.get(endpointKey);
    if (set && addrs) this.addAddresses(setId, set, addrs);
  }

  private removeEndpoint(setId: string, endpointKey: string): void {
    const set = this.live.get(setId);
    const addrs = this.addresses.get(endpointKey);
    if (set && addrs) this.removeAddresses(setId, set, addrs);
  }

  private addAddresses(setId: string, set: LiveSet, addrs: EndpointAddresses): void {
    // Indexed loops: this runs for every member of every set at start-up.
    for (let i = 0; i < addrs.v4.length; i++) this.addMember(setId, set, 'v4', addrs.v4[i]!);
    for (let i = 0; i < addrs.v6.length; i++) this.addMember(setId, set, 'v6', addrs.v6[i]!);
  }

  private removeAddresses(setId: string, set: LiveSet, addrs: EndpointAddresses): void {
    for (const a of addrs.v4) this.removeMember(setId, set, 'v4', a);
    for (const a of addrs.v6) this.removeMember(setId, set, 'v6', a);
  }

  private addMember(setId: string, set: LiveSet, family: 'v4' | 'v6', a: string): void {
    const members = set[family];
    if (members.has(a)) {
      const k = `${setId}\0${a}`;
      this.extraRefs.set(k, (this.extraRefs.get(k) ?? 0) + 1);
      return;
    }
    this.noteOrigin(setId, family, a, false);
    members.add(a);
    set.revision++;
    this.memberTotal++;
  }

  private removeMember(setId: string, set: LiveSet, family: 'v4' | 'v6', a: string): void {
    const members = set[family];
    const k = `${setId}\0${a}`;
    const extra = this.extraRefs.get(k);
    if (extra !== undefined) {
      if (extra > 1) this.extraRefs.set(k, extra - 1);
      else this.extraRefs.delete(k);
      return;
    }
    if (!members.has(a)) return;
    this.noteOrigin(setId, family, a, true);
    members.delete(a);
    set.revision++;
    this.memberTotal--;
  }

  /** Records an address's presence at the last flush, for sets whose changes are reported as members. */
  private noteOrigin(setId: string, family: 'v4' | 'v6', a: string, present: boolean): void {
    if (this.createdSinceFlush.has(setId) || this.deletedSinceFlush.has(setId)) return;
    let origin = this.origins.get(setId);
    if (origin === undefined) this.origins.set(setId, (origin = { v4: new Map(), v6: new Map() }));
    const m = origin[family];
    if (!m.has(a)) m.set(a, present);
  }

  /** A set's members as they were at the last flush, undoing the changes recorded since. */
  private membersAtLastFlush(id: string, set: LiveSet): LiveSet {
    const origin = this.origins.get(id);
    if (origin === undefined) return set;
    const v4 = new Set(set.v4);
    const v6 = new Set(set.v6);
    for (const [a, was] of origin.v4) if (was) v4.add(a); else v4.delete(a);
    for (const [a, was] of origin.v6) if (was) v6.add(a); else v6.delete(a);
    return { selector: set.selector, v4, v6, revision: set.revision };
  }
}

function diffMembers(before: LiveSet, now: LiveSet): IpSetMemberDelta | undefined {
  const d: IpSetMemberDelta = { addedV4: [], removedV4: [], addedV6: [], removedV6: [] };
  for (const a of now.v4) if (!before.v4.has(a)) d.addedV4.push(a);
  for (const a of before.v4) if (!now.v4.has(a)) d.removedV4.push(a);
  for (const a of now.v6) if (!before.v6.has(a)) d.addedV6.push(a);
  for (const a of before.v6) if (!now.v6.has(a)) d.removedV6.push(a);
  return d.addedV4.length + d.removedV4.length + d.addedV6.length + d.removedV6.length > 0 ? d : undefined;
}

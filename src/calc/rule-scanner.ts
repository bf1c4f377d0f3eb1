// Which IP sets are active: refcounts the sets used by the rules of active policies and
// profiles (one count per policy/profile that uses a set), and turns sets on and off as the
// counts leave and reach zero.
import type { Selector } from '../selector/types.js';
import type { PreparedRules } from './rules.js';

export interface IpSetActivation {
  activate(id: string, selector: Selector): void;
  deactivate(id: string): void;
}

export class RuleScanner {
  private readonly used = new Map<string, PreparedRules>();
  private readonly refs = new Map<string, number>();

  constructor(private readonly sets: IpSetActivation) {}

  /** The rules currently counted for an owner ("policy:<name>" or "profile:<name>"). */
  rulesOf(owner: string): PreparedRules | undefined {
    return this.used.get(owner);
  }

  /** Starts using (or replaces) an owner's rules; new sets are counted before old ones are released. */
  setRules(owner: string, rules: PreparedRules): void {
    const old = this.used.get(owner);
    if (old === rules) return;
    this.used.set(owner, rules);
    for (const [id, selector] of rules.ipSets) {
      const n = this.refs.get(id) ?? 0;
      this.refs.set(id, n + 1);
      if (n === 0) this.sets.activate(id, selector);
    }
    if (old) this.release(old);
  }

  removeRules(owner: string): void {
    const old = this.used.get(owner);
    if (old === undefined) return;
    this.used.delete(owner);
    this.release(old);
  }

  private release(rules: PreparedRules): void {
    for (const id of rules.ipSets.keys()) {
      const n = this.refs.get(id)!;
      if (n > 1) this.refs.set(id, n - 1);
      else {
        this.refs.delete(id);
        this.sets.deactivate(id);
      }
    }
  }
}

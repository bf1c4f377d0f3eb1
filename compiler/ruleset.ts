// The compiler's output as the dataplane consumes it: chains already rendered
// to iptables-restore fragments, each tagged with its hash comment, and IP sets
// with their members. The dataplane compares and writes these; it never decides policy.
//
// Immutability: every object reachable from a Ruleset (its chains, hooks and ipSets arrays,
// RenderedChain, its rules array and RenderedRule objects, HookRule, IpSetSpec and its members
// array) is immutable once the compiler has returned it. The compiler memoises and hands out the very same object again
// while its content is unchanged, and the dataplane remembers objects it has already validated
// and applied and skips them on the next apply. So: never mutate one in place; build a new
// object for new content (a new object is always validated and compared in full).

export interface RenderedRule {
  /** The 16-character hash carried in the rule's `-m comment --comment "cali:<hash>"`. */
  hash: string;
  /** Everything after `-A <chain> ` in iptables-restore input, comment included. */
  spec: string;
}

export interface RenderedChain {
  name: string;
  rules: RenderedRule[];
}

/** A rule Tabby inserts at the top of a kernel chain it does not own. */
export interface HookRule {
  chain: 'INPUT' | 'FORWARD' | 'OUTPUT';
  rule: RenderedRule;
}

export interface IpSetSpec {
  /** Kernel name, at most 31 characters (cali40s:... / cali60s:...). */
  name: string;
  type: 'hash:net';
  family: 'inet' | 'inet6';
  maxelem: number;
  /** Members as ipset prints them (a /32 or /128 without its suffix), sorted. */
  members: string[];
}

/** Everything one address family needs in the kernel. */
export interface Ruleset {
  ipVersion: 4 | 6;
  /** All cali-* chains of the filter table, sorted by name. */
  chains: RenderedChain[];
  hooks: HookRule[];
  ipSets: IpSetSpec[];
}

// The compiler's output as the dataplane consumes it: chains already rendered
// to iptables-restore fragments, each tagged with its hash comment, and IP sets
// with their members. The dataplane compares and writes these; it never decides policy.

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

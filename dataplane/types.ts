// What the dataplane reads back from the kernel: the filter table as
// iptables-save prints it and the IP sets Tabby owns.

/** One rule as iptables-save printed it. */
export interface KernelRule {
  /** Everything after `-A <chain> `, exactly as printed (usable with `-D <chain> <spec>`). */
  spec: string;
  /** The hash of our `cali:<hash>` comment; null for a rule Tabby did not write (or altered). */
  hash: string | null;
}

export interface KernelChain {
  name: string;
  /** Policy of a built-in chain (ACCEPT/DROP); null for a user chain. */
  policy: string | null;
  rules: KernelRule[];
}

/** The filter table, every chain (ours and other software's), in iptables-save order. */
export interface FilterTable {
  chains: Map<string, KernelChain>;
}

export interface KernelIpSet {
  name: string;
  type: string;
  family: 'inet' | 'inet6';
  maxelem: number;
  /** Canonical members (host addresses without /32 or /128), sorted. */
  members: string[];
}

export interface KernelState {
  ipVersion: 4 | 6;
  filter: FilterTable;
  /** IP sets in Tabby's namespace for this family (cali4* / cali6*), by name. */
  ipSets: Map<string, KernelIpSet>;
}

export const HOOK_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;
export type HookChainName = (typeof HOOK_CHAINS)[number];

/** Chains Tabby owns in the filter table. */
export const isOwnedChain = (name: string): boolean => name.startsWith('cali-');

/** Prefix of every IP set Tabby owns for a family; temporary sets add a `t`. */
export const ipSetPrefix = (ipVersion: 4 | 6): string => (ipVersion === 4 ? 'cali4' : 'cali6');
export const tempIpSetPrefix = (ipVersion: 4 | 6): string => `${ipSetPrefix(ipVersion)}t`;

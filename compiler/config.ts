// Compiler settings: the mark bits Tabby owns, what happens to workload
// traffic addressed to the host, the workload interface prefixes, the LOG
// prefix and the minimum IP set size. Defaults are DESIGN.md section 5.
import { CompileError } from './errors.js';

export type EndpointToHostAction = 'DROP' | 'RETURN' | 'ACCEPT';

export interface CompilerConfig {
  /** Set by a policy/profile that allows the packet. */
  markAccept: number;
  /** Set by a policy rule with action pass: skip the remaining policies. */
  markPass: number;
  /** Scratch bits used to OR several CIDR/port blocks of one rule together. */
  markScratch0: number;
  markScratch1: number;
  /** What to do with traffic from a workload to the host once its egress policy allowed it. */
  endpointToHostAction: EndpointToHostAction;
  /** Interface name prefixes of workloads, each matched as `-i <prefix>+`. */
  workloadIfacePrefixes: readonly string[];
  /** LOG rules print `<logPrefix>: ` (quoted). */
  logPrefix: string;
  /** The smallest `maxelem` an IP set gets (larger sets get twice their size, rounded up to a power of 2). */
  ipSetMinMaxElem: number;
}

export const DEFAULT_MARK_MASK = 0xffff0000;

export const DEFAULT_COMPILER_CONFIG: Readonly<CompilerConfig> = Object.freeze({
  markAccept: 0x10000,
  markPass: 0x20000,
  markScratch0: 0x40000,
  markScratch1: 0x80000,
  endpointToHostAction: 'DROP',
  workloadIfacePrefixes: Object.freeze(['cali']),
  logPrefix: 'calico-packet',
  ipSetMinMaxElem: 1048576,
});

/**
 * The four mark bits taken from a mask, lowest first (accept, pass, scratch0,
 * scratch1), as Felix allocates them: 0xffff0000 gives 0x10000 ... 0x80000.
 */
export function marksFromMask(mask: number): Pick<CompilerConfig, 'markAccept' | 'markPass' | 'markScratch0' | 'markScratch1'> {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff) throw new CompileError('markMask', mask, 'is not a 32-bit mask');
  const bits: number[] = [];
  for (let i = 0; i < 32 && bits.length < 4; i++) {
    const bit = 2 ** i;
    if (Math.floor(mask / bit) % 2 === 1) bits.push(bit);
  }
  if (bits.length < 4) throw new CompileError('markMask', `0x${mask.toString(16)}`, 'must have at least 4 bits set');
  return { markAccept: bits[0]!, markPass: bits[1]!, markScratch0: bits[2]!, markScratch1: bits[3]! };
}

/** A mark mask as written on a command line or in the environment: `0xffff0000` or decimal. */
export function parseMarkMask(text: string, field = 'markMask'): number {
  const t = typeof text === 'string' ? text.trim() : '';
  const n = /^(0x[0-9a-fA-F]{1,8}|[0-9]{1,10})$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) throw new CompileError(field, text, 'must be a 32-bit mask such as 0xffff0000');
  marksFromMask(n);
  return n;
}

const PREFIX_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,13}$/;
const LOG_PREFIX_RE = /^[a-zA-Z0-9_.-]{1,27}$/;

/** Defaults filled in and every field checked; the result is frozen. */
export function resolveCompilerConfig(partial: Partial<CompilerConfig> = {}): Readonly<CompilerConfig> {
  const c: CompilerConfig = { ...DEFAULT_COMPILER_CONFIG, ...stripUndefined(partial) };
  const marks = ['markAccept', 'markPass', 'markScratch0', 'markScratch1'] as const;
  const seen = new Set<number>();
  for (const k of marks) {
    const v = c[k];
    if (!Number.isInteger(v) || v <= 0 || v > 0x80000000 || (v & (v - 1)) !== 0) {
      throw new CompileError(k, v, 'must be a single bit of a 32-bit mark');
    }
    if (seen.has(v)) throw new CompileError(k, v, 'is used by another mark');
    seen.add(v);
  }
  if (!['DROP', 'RETURN', 'ACCEPT'].includes(c.endpointToHostAction)) {
    throw new CompileError('endpointToHostAction', c.endpointToHostAction, 'must be DROP, RETURN or ACCEPT');
  }
  if (!Array.isArray(c.workloadIfacePrefixes) || c.workloadIfacePrefixes.length === 0) {
    throw new CompileError('workloadIfacePrefixes', c.workloadIfacePrefixes, 'must be a non-empty list');
  }
  c.workloadIfacePrefixes.forEach((p, i) => {
    if (typeof p !== 'string' || !PREFIX_RE.test(p)) {
      throw new CompileError(`workloadIfacePrefixes[${i}]`, p, 'must be 1-14 characters of [a-zA-Z0-9_-], not starting with "-"');
    }
  });
  if (typeof c.logPrefix !== 'string' || !LOG_PREFIX_RE.test(c.logPrefix)) {
    throw new CompileError('logPrefix', c.logPrefix, 'must be 1-27 characters of [a-zA-Z0-9_.-]');
  }
  if (!Number.isInteger(c.ipSetMinMaxElem) || c.ipSetMinMaxElem < 64 || c.ipSetMinMaxElem > 0x7fffffff) {
    throw new CompileError('ipSetMinMaxElem', c.ipSetMinMaxElem, 'must be an integer from 64 to 2147483647');
  }
  return Object.freeze({ ...c, workloadIfacePrefixes: Object.freeze([...c.workloadIfacePrefixes]) });
}

/** All of Tabby's mark bits together. */
export function allMarkBits(c: Readonly<CompilerConfig>): number {
  return (c.markAccept | c.markPass | c.markScratch0 | c.markScratch1) >>> 0;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

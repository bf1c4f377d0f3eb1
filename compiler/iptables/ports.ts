// Ports as multiport sees them: single ports take one of 15 slots, ranges two.
import type { Port } from '../../src/model/types.js';
import { CompileError } from '../errors.js';

export interface PortRange {
  first: number;
  last: number;
}

/** Multiport's limit on slots per match. */
export const MULTIPORT_SLOTS = 15;

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;

/** A model port (80 or "8000:8080") as a range; `field` names it in errors. */
export function parsePort(port: Port, field: string): PortRange {
  if (typeof port === 'number') {
    if (!isPort(port)) throw new CompileError(field, port, 'is not a port (0-65535)');
    return { first: port, last: port };
  }
  if (typeof port === 'string') {
    const m = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/.exec(port);
    if (m) {
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      if (isPort(first) && isPort(last) && first <= last) return { first, last };
    }
  }
  throw new CompileError(field, port, 'is not a port or a port range "a:b" with a <= b');
}

export const portSlots = (p: PortRange): number => (p.first === p.last ? 1 : 2);

/** `80` or `8000:8080`. */
export const formatPortRange = (p: PortRange): string => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`);

/**
 * Splits a port list into groups that each fit one multiport match (15 slots,
 * a range counting 2), keeping the order. An empty list gives no groups.
 */
export function splitPortList(ports: readonly PortRange[]): PortRange[][] {
  const splits: PortRange[][] = [];
  let current: PortRange[] = [];
  let free = MULTIPORT_SLOTS;
  for (const p of ports) {
    const need = portSlots(p);
    if (free < need) {
      splits.push(current);
      current = [];
      free = MULTIPORT_SLOTS;
    }
    current.push(p);
    free -= need;
  }
  if (current.length > 0) splits.push(current);
  return splits;
}

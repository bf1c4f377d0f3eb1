// Typed rule actions; each renders its own iptables fragment.
import { CompileError } from '../errors.js';
import { hex } from './match.js';

/** Chain names Tabby writes: at most 28 characters, no leading "-" or "!", nothing a tokenizer could split. */
export const CHAIN_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,27}$/;

export function checkChainName(name: string): string {
  if (typeof name !== 'string' || !CHAIN_NAME_RE.test(name)) {
    throw new CompileError('chain', name, 'is not a chain name (1-28 characters of [a-zA-Z0-9_.-], starting alphanumeric)');
  }
  return name;
}

function checkBits(bits: number, field: string): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) throw new CompileError(field, bits, 'is not a 32-bit mark');
  return bits;
}

export interface Action {
  readonly kind: string;
  /** The target part of a rule, e.g. `-j DROP`. */
  render(): string;
  /** The chain this action jumps or goes to, if any. */
  readonly target?: string;
}

export class Accept implements Action {
  readonly kind = 'accept';
  render(): string {
    return '-j ACCEPT';
  }
}

export class Drop implements Action {
  readonly kind = 'drop';
  render(): string {
    return '-j DROP';
  }
}

export class Return implements Action {
  readonly kind = 'return';
  render(): string {
    return '-j RETURN';
  }
}

/** Jump to a chain; the packet comes back here if that chain returns. */
export class Jump implements Action {
  readonly kind = 'jump';
  readonly target: string;
  constructor(target: string) {
    this.target = checkChainName(target);
  }
  render(): string {
    return `-j ${this.target}`;
  }
}

/** Go to a chain; when it returns, the packet returns from the calling chain too. */
export class Goto implements Action {
  readonly kind = 'goto';
  readonly target: string;
  constructor(target: string) {
    this.target = checkChainName(target);
  }
  render(): string {
    return `--goto ${this.target}`;
  }
}

/** Sets the given bits. */
export class SetMark implements Action {
  readonly kind = 'set-mark';
  constructor(readonly bits: number) {
    checkBits(bits, 'mark');
  }
  render(): string {
    return `-j MARK --set-mark ${hex(this.bits)}/${hex(this.bits)}`;
  }
}

/** Writes `value` into the bits of `mask` (Felix's SetMaskedMark). */
export class SetMaskedMark implements Action {
  readonly kind = 'set-masked-mark';
  constructor(
    readonly value: number,
    readonly mask: number,
  ) {
    checkBits(value, 'mark');
    checkBits(mask, 'mask');
    if (((value & ~mask) >>> 0) !== 0) throw new CompileError('mark', hex(value), `has bits outside the mask ${hex(mask)}`);
  }
  render(): string {
    return `-j MARK --set-mark ${hex(this.value)}/${hex(this.mask)}`;
  }
}

/** Clears the given bits. */
export class ClearMark implements Action {
  readonly kind = 'clear-mark';
  constructor(readonly bits: number) {
    checkBits(bits, 'mark');
  }
  render(): string {
    return `-j MARK --set-mark 0/${hex(this.bits)}`;
  }
}

const LOG_PREFIX_RE = /^[a-zA-Z0-9_.-]{1,27}$/;

/** Logs the packet with `<prefix>: ` and carries on. */
export class Log implements Action {
  readonly kind = 'log';
  constructor(readonly prefix: string) {
    if (typeof prefix !== 'string' || !LOG_PREFIX_RE.test(prefix)) {
      throw new CompileError('logPrefix', prefix, 'must be 1-27 characters of [a-zA-Z0-9_.-]');
    }
  }
  render(): string {
    return `-j LOG --log-prefix "${this.prefix}: " --log-level 5`;
  }
}

// The parsed selector as a tree of node classes. Each node evaluates labels without allocating,
// prints itself in Calico's canonical form (libcalico-go/lib/selector/parser/ast.go) and states
// the label restrictions it implies.
import type { Labels } from '../model/types.js';

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** The value of an own label, or undefined (inherited properties such as "toString" are not labels). */
function labelValue(labels: Labels, key: string): string | undefined {
  const v = labels[key];
  return v !== undefined && hasOwnProperty.call(labels, key) ? v : undefined;
}

/** Mutable restriction used while combining nodes; `values` undefined means unrestricted. */
export interface Restriction {
  present: boolean;
  values?: Set<string>;
}
export type Restrictions = Map<string, Restriction>;

export abstract class SelectorNode {
  abstract matches(labels: Labels): boolean;
  /** Appends the canonical text of this node. */
  abstract print(out: string[]): void;
  /** Restrictions every match of this node satisfies (a fresh map the caller may change). */
  restrictions(): Restrictions {
    return new Map();
  }
}

/** Calico quotes with " unless the value contains ", then with '. */
function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

abstract class LabelValueNode extends SelectorNode {
  constructor(
    readonly key: string,
    readonly value: string,
  ) {
    super();
  }
  protected abstract readonly op: string;
  print(out: string[]): void {
    out.push(this.key, this.op, quote(this.value));
  }
}

export class EqNode extends LabelValueNode {
  protected readonly op = ' == ';
  matches(labels: Labels): boolean {
    // Compare first: the own-property check is needed only for an equal value.
    return labels[this.key] === this.value && hasOwnProperty.call(labels, this.key);
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true, values: new Set([this.value]) }]]);
  }
}

export class NeNode extends LabelValueNode {
  protected readonly op = ' != ';
  matches(labels: Labels): boolean {
    // A missing label is "not equal"; an inherited property is no label.
    return labels[this.key] !== this.value || !hasOwnProperty.call(labels, this.key);
  }
}

export class ContainsNode extends LabelValueNode {
  protected readonly op = ' contains ';
  matches(labels: Labels): boolean {
    const v = labelValue(labels, this.key);
    return v !== undefined && v.includes(this.value);
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true }]]);
  }
}

export class StartsWithNode extends LabelValueNode {
  protected readonly op = ' starts with ';
  matches(labels: Labels): boolean {
    const v = labelValue(labels, this.key);
    return v !== undefined && v.startsWith(this.value);
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true }]]);
  }
}

export class EndsWithNode extends LabelValueNode {
  protected readonly op = ' ends with ';
  matches(labels: Labels): boolean {
    const v = labelValue(labels, this.key);
    return v !== undefined && v.endsWith(this.value);
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true }]]);
  }
}

abstract class SetNode extends SelectorNode {
  protected readonly set: ReadonlySet<string>;
  constructor(
    readonly key: string,
    /** Sorted by code point, without duplicates. */
    readonly values: readonly string[],
  ) {
    super();
    this.set = new Set(values);
  }
  protected abstract readonly op: string;
  print(out: string[]): void {
    out.push(this.key, this.op, '{', this.values.map(quote).join(', '), '}');
  }
}

export class InNode extends SetNode {
  protected readonly op = ' in ';
  matches(labels: Labels): boolean {
    // The set holds strings only, so an undefined value is never in it.
    const v = labels[this.key];
    return this.set.has(v!) && hasOwnProperty.call(labels, this.key);
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true, values: new Set(this.values) }]]);
  }
}

export class NotInNode extends SetNode {
  protected readonly op = ' not in ';
  matches(labels: Labels): boolean {
    // A missing label is "not in" any set; an inherited property is no label.
    const v = labels[this.key];
    return !this.set.has(v!) || !hasOwnProperty.call(labels, this.key);
  }
}

export class HasNode extends SelectorNode {
  constructor(readonly key: string) {
    super();
  }
  matches(labels: Labels): boolean {
    return labelValue(labels, this.key) !== undefined;
  }
  print(out: string[]): void {
    out.push('has(', this.key, ')');
  }
  override restrictions(): Restrictions {
    return new Map([[this.key, { present: true }]]);
  }
}

export class AllNode extends SelectorNode {
  matches(): boolean {
    return true;
  }
  print(out: string[]): void {
    out.push('all()');
  }
}

/** Calico's global(): matches everything (it marks a selector as not namespaced). */
export class GlobalNode extends SelectorNode {
  matches(): boolean {
    return true;
  }
  print(out: string[]): void {
    out.push('global()');
  }
}

/** Negation; the parser collapses runs of "!" so `!!x` is never a double NotNode from one run. */
export class NotNode extends SelectorNode {
  constructor(readonly operand: SelectorNode) {
    super();
  }
  matches(labels: Labels): boolean {
    return !this.operand.matches(labels);
  }
  print(out: string[]): void {
    // Calico prints "!" then the operand with no parentheses of its own.
    out.push('!');
    this.operand.print(out);
  }
  // No restriction: !(a == "b") does not require a to be absent, nor present.
}

export class AndNode extends SelectorNode {
  constructor(readonly operands: readonly SelectorNode[]) {
    super();
  }
  matches(labels: Labels): boolean {
    const ops = this.operands;
    for (let i = 0; i < ops.length; i++) if (!ops[i]!.matches(labels)) return false;
    return true;
  }
  print(out: string[]): void {
    printGroup(out, this.operands, ' && ');
  }
  /** Every operand's restrictions hold: OR the presences, intersect the value sets. */
  override restrictions(): Restrictions {
    const acc: Restrictions = new Map();
    for (const op of this.operands) {
      for (const [key, r] of op.restrictions()) {
        const base = acc.get(key);
        if (!base) {
          acc.set(key, r);
          continue;
        }
        base.present ||= r.present;
        if (base.values === undefined) base.values = r.values;
        else if (r.values !== undefined) {
          const other = r.values;
          for (const v of base.values) if (!other.has(v)) base.values.delete(v);
        }
      }
    }
    return acc;
  }
}

export class OrNode extends SelectorNode {
  constructor(readonly operands: readonly SelectorNode[]) {
    super();
  }
  matches(labels: Labels): boolean {
    const ops = this.operands;
    for (let i = 0; i < ops.length; i++) if (ops[i]!.matches(labels)) return true;
    return false;
  }
  print(out: string[]): void {
    printGroup(out, this.operands, ' || ');
  }
  /** Only what every operand requires: a key all of them need, values from the union of their sets. */
  override restrictions(): Restrictions {
    const acc = this.operands[0]!.restrictions();
    for (let i = 1; i < this.operands.length && acc.size > 0; i++) {
      const other = this.operands[i]!.restrictions();
      for (const [key, r] of acc) {
        const o = other.get(key);
        if (!o || !o.present || !r.present) {
          acc.delete(key);
          continue;
        }
        if (r.values === undefined || o.values === undefined) r.values = undefined;
        else for (const v of o.values) r.values.add(v);
      }
    }
    return acc;
  }
}

/** Calico wraps every && and || group in parentheses. */
function printGroup(out: string[], operands: readonly SelectorNode[], sep: string): void {
  out.push('(');
  operands.forEach((op, i) => {
    if (i > 0) out.push(sep);
    op.print(out);
  });
  out.push(')');
}

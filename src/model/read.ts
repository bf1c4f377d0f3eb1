// Small readers for untrusted parsed YAML/JSON: each checks one shape and
// throws a ValidationError naming the field on anything else.
import { fieldPath, invalid, missing, unknownField } from './errors.js';

export type RawObject = Record<string, unknown>;

/** True for a value that is given (YAML `key:` with nothing after it is null, i.e. not given). */
export const present = (v: unknown): boolean => v !== undefined && v !== null;

export function isPlainObject(v: unknown): v is RawObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function readObject(v: unknown, path: string, what = 'a mapping'): RawObject {
  if (!isPlainObject(v)) throw invalid(path, v, `must be ${what}`);
  return v;
}

/** Rejects any own key that is not allowed, naming it. */
export function checkKeys(o: RawObject, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw unknownField(fieldPath(path, key), o[key]);
  }
}

/** Own property value (never inherited). */
export function own(o: RawObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(path, v, 'must be a string');
  return v;
}

export function readRequiredString(o: RawObject, key: string, path: string, reason: string): string {
  const v = own(o, key);
  const p = fieldPath(path, key);
  if (!present(v)) throw missing(p, reason);
  return readString(v, p);
}

export function readList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(path, v, 'must be a list');
  return v;
}

export function readBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw invalid(path, v, 'must be true or false');
  return v;
}

/** Sets an own property even for keys like `__proto__`. */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

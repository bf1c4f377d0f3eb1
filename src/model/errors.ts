// Errors of the data model. A ValidationError names the offending field (a
// path like `spec.ingress[0].destination.ports[1]`), shows the value safely
// (quoted and escaped, so hostile text prints on one line) and says why.

/** Joins a path and an object key: `a.b`, or `a["odd key"]` for keys that are not identifiers. */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const part = /^!?[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (base === '') return part;
  return part.startsWith('[') ? `${base}${part}` : `${base}.${part}`;
}

const MAX_SHOWN = 100;

/** A value as an error message shows it: strings JSON-quoted, long text cut. */
export function showValue(value: unknown): string {
  if (value === undefined) return '<missing>';
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

/** Text that is safe to embed in a message as an identifier; anything odd is JSON-quoted. */
export function safeName(text: string): string {
  return /^[\x21-\x7e]*$/.test(text) && !/["'\\]/.test(text) && text !== '' ? text : JSON.stringify(text);
}

export type ValidationProblem = 'invalid' | 'unknown-field' | 'missing';

export class ValidationError extends Error {
  constructor(
    /** Path of the offending field; '' for the whole document or value. */
    public readonly field: string,
    /** The offending value as given (undefined when missing). */
    public readonly value: unknown,
    /** Why it is wrong, e.g. "port must be between 1 and 65535". */
    public readonly reason: string,
    /** The resource or datastore key it was found in, when known. */
    public readonly where?: string,
    public readonly problem: ValidationProblem = 'invalid',
  ) {
    super(formatMessage(field, value, reason, where, problem));
    this.name = 'ValidationError';
  }

  /** The same error, saying where it was found (e.g. `Policy(name=foo)`). */
  in(where: string): ValidationError {
    if (this.where !== undefined) return this;
    return new ValidationError(this.field, this.value, this.reason, where, this.problem);
  }
}

function formatMessage(field: string, value: unknown, reason: string, where: string | undefined, problem: ValidationProblem): string {
  const place = where === undefined ? '' : ` in ${where}`;
  switch (problem) {
    case 'unknown-field':
      return `unknown field ${field}${place} (value ${showValue(value)})`;
    case 'missing':
      return `missing value for ${field}${place} (${reason})`;
    case 'invalid':
      if (field === '') return `invalid value${place}: ${showValue(value)} (${reason})`;
      return `invalid value for ${field}${place}: ${showValue(value)} (${reason})`;
  }
}

export const invalid = (field: string, value: unknown, reason: string): ValidationError =>
  new ValidationError(field, value, reason);
export const unknownField = (field: string, value: unknown): ValidationError =>
  new ValidationError(field, value, 'unknown field', undefined, 'unknown-field');
export const missing = (field: string, reason: string): ValidationError =>
  new ValidationError(field, undefined, reason, undefined, 'missing');

/** Text that is not YAML or JSON at all. */
export class InputSyntaxError extends Error {
  constructor(message: string, public readonly line?: number, public readonly column?: number) {
    super(message);
    this.name = 'InputSyntaxError';
  }
}

/** A resource type name (CLI argument) that calicoctl does not know. */
export class UnknownKindError extends Error {
  constructor(public readonly kindName: string) {
    const shown = /^[\x21-\x7e]*$/.test(kindName) && !/['\\]/.test(kindName) ? `'${kindName}'` : JSON.stringify(kindName);
    super(`resource type ${shown} is not supported`);
    this.name = 'UnknownKindError';
  }
}

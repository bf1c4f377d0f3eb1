// The one error the compiler throws: the desired state holds something that
// cannot be rendered safely. The message names the field and shows the value
// JSON-quoted, so hostile text prints on one line and never as a rule.

export class CompileError extends Error {
  constructor(
    /** Where the value sits, e.g. `policy "p1" inbound[2].dstPorts[0]`. */
    public readonly field: string,
    public readonly value: unknown,
    reason: string,
  ) {
    super(`${field}: ${show(value)} ${reason}`);
    this.name = 'CompileError';
  }
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

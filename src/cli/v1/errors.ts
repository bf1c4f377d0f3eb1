// Turning anything thrown into the one-line message a user sees.

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

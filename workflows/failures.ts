/** Reading failures inside workflow code. Workflow-safe. */

/** The message of the innermost cause: what actually went wrong, without Temporal's wrappers. */
export function innermostMessage(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

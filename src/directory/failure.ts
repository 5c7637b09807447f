/**
 * One line for a record (a failed run, an action's part): the error's message with its cause's (fetch
 * hides the network error under "fetch failed"), cut to `maxLength`.
 */
export function describeError(error: unknown, maxLength: number): string {
  if (!(error instanceof Error)) return String(error).slice(0, maxLength)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`.slice(0, maxLength)
}

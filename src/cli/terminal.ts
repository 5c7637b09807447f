/*
 * Text for a terminal. Most of what the CLI prints comes from somewhere else: user, group, role and workspace
 * names synced from remote workspaces (whoever can edit a name there writes into the operator's terminal), error
 * messages quoting a remote's answer, names and ids typed on the command line. Printed raw, an escape sequence
 * in one of them drives the terminal (clears the screen, retitles the window, rewrites earlier lines), a
 * newline or a carriage return forges a line of a table or of a summary, and a bidi override shows the
 * characters after it in another order than they are.
 *
 * So every value goes through `oneLine` before it is printed in text, and everything the CLI writes as text
 * goes through `screenText` as a backstop. Unsafe characters are not dropped but shown as the escape
 * JavaScript and JSON would write for them (`\u001b`, `\n`): the line stays readable, nothing is hidden from
 * the operator looking at a hostile name, and the same escape is what `--json` shows for that value. The
 * result is plain ASCII where the value had a control character, so a terminal cannot act on it. (A value that
 * holds the six characters `\u001b` literally prints the same: `--json` tells them apart.)
 */

/**
 * C0 controls (newline, carriage return and tab included), DEL and C1 controls (`\p{Cc}`), and the bidi
 * embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069), which reorder what follows them.
 */
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const visible = (char: string) => SHORT[char] ?? `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`

/** A value safe to print within one line or one table cell: every control and bidi character escaped visibly. */
export function oneLine(value: string): string {
  return value.replace(UNSAFE, visible)
}

/**
 * The backstop for a whole text the CLI writes: the same escaping, except for the newlines and tabs that are
 * the CLI's own layout (`workspace list` separates its fields with tabs). A value that reaches it unescaped
 * can still not drive the terminal; only `oneLine` keeps a newline in a value from starting a line.
 */
export function screenText(text: string): string {
  return text.replace(UNSAFE, (char) => (char === '\n' || char === '\t' ? char : visible(char)))
}

/**
 * `--json`: JSON.stringify escapes C0 controls but leaves DEL, C1 controls and bidi characters raw; escaping
 * them too (they occur only inside strings) gives the same JSON value, which a terminal cannot act on either.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, visible)
}

/** Writes text and a final newline to stdout, through the backstop. */
export function printLine(text: string): void {
  process.stdout.write(`${screenText(text)}\n`)
}

import { Command, Option } from 'commander'
import { listOutbox, readMessage, retryMessage } from '../../mail/outbox.js'
import type { OutboxMessage, OutboxMessageWithBody } from '../../mail/schemas.js'
import type { OutboxStatus } from '../../store/tables.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError } from '../program.js'
import { output, withDirectory, withStore } from '../store.js'
import { oneLine } from '../terminal.js'
import { table } from './directory.js'

/*
 * The outbox from the command line, straight on the store (safe beside a running server). Without
 * --smtp-url nothing is sent: `outbox show` is how the operator reads a person's link and hands it over.
 */

const STATUSES: OutboxStatus[] = ['pending', 'sending', 'sent', 'failed']
const DEFAULT_LIMIT = 50

export function outboxCommand(): Command {
  const cmd = new Command('outbox')
    .description('list mail: waiting (no --smtp-url, or until the next try), being sent, sent or failed; newest first')
    .addOption(new Option('--status <status>', 'only messages of this status').choices(STATUSES))
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`)
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: StoreFlags & { status?: OutboxStatus; limit?: string; json?: boolean }) => {
      const limit = parseLimit(o.limit)
      const { rows, hasMore } = await withStore(o, (store) =>
        store.read((q) => listOutbox(q, { direction: 'after', key: null, limit }, o.status)),
      )
      const text =
        rows.length === 0
          ? `No ${o.status ? `${o.status} ` : ''}messages.`
          : table(
              ['ID', 'STATUS', 'TO', 'KIND', 'ATTEMPTS', 'CREATED', 'LAST ERROR'],
              rows.map((m) => [m.id, m.status, m.to, m.kind, String(m.attempts), m.created_at, m.last_error ?? '-']),
            ) + (hasMore ? `\nNewest ${limit} shown; --limit shows more.` : '')
      output(o.json, { messages: rows, hasMore }, text)
    })
  cmd
    .command('show')
    .description('one message with its text body (it holds the link or code: hand it only to its recipient)')
    .argument('<id>', 'message id')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (id: string, o: StoreFlags & { json?: boolean }) => {
      // --db may land on `outbox` or on `show`, depending on where it was typed.
      const flags = { ...cmd.opts<StoreFlags>(), ...o }
      const message = await withDirectory(flags, (ctx) => ctx.store.read((q) => readMessage(q, ctx.cipher, id)))
      output(flags.json, { message }, showText(message))
    })
  cmd
    .command('retry')
    .description('send a failed message again (by a server with --smtp-url), with a fresh round of attempts')
    .argument('<id>', 'message id')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (id: string, o: StoreFlags & { json?: boolean }) => {
      const flags = { ...cmd.opts<StoreFlags>(), ...o }
      const message = await withStore(flags, (store) => store.write((q) => retryMessage(q, id)))
      output(
        flags.json,
        { message },
        `Message ${oneLine(message.id)} to ${oneLine(message.to)} is pending again: a server with --smtp-url sends it.`,
      )
    })
  return cmd
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, not ${raw}`)
  return n
}

/** The headers, then the text body; every line escaped for the terminal (the body quotes names people chose). */
function showText(m: OutboxMessageWithBody): string {
  const fields: [string, string][] = [
    ['To', m.to],
    ['Kind', m.kind],
    ['Subject', m.subject],
    ['Status', statusText(m)],
    ['Created', m.created_at],
  ]
  if (m.sent_at) fields.push(['Sent', m.sent_at])
  if (m.last_error) fields.push(['Last error', m.last_error])
  const header = fields.map(([name, value]) => `${`${name}:`.padEnd(12)}${oneLine(value)}`)
  return [`Message ${oneLine(m.id)}`, ...header, '', ...m.text.split(/\r?\n/).map(oneLine)].join('\n')
}

function statusText(m: OutboxMessage): string {
  const tries = `${m.attempts} attempt${m.attempts === 1 ? '' : 's'}`
  return m.status === 'pending' && m.attempts > 0 ? `pending (${tries}; next try from ${m.next_attempt_at})` : `${m.status} (${tries})`
}

import cliProgress from 'cli-progress'
import { Command } from 'commander'
import PQueue from 'p-queue'
import type { DirectoryContext } from '../../directory/context.js'
import type { SyncProgress } from '../../directory/sync/progress.js'
import { approveRun, runSync } from '../../directory/sync/run.js'
import { presentRun } from '../../directory/sync/schemas.js'
import type { ConnectionRow } from '../../store/queries/connections.js'
import type { SyncRunRow } from '../../store/queries/dir-runs.js'
import { allowRemoteHostOption, databaseUrlOption, dbOption, type StoreFlags, UsageError } from '../program.js'
import { findConnection, withDirectory } from '../store.js'
import { oneLine, printLine } from '../terminal.js'

/** One or more syncs failed: their lines say why; the command exits 1. */
class SyncFailedError extends Error {}

export function syncCommand(): Command {
  const cmd = new Command('sync')
    .description('sync connected workspaces into the directory now, in this process, with a progress bar')
    .argument('[connection]', 'connection id, name or remote workspace slug')
    .option('--all', 'sync every connection (those needing a new token are skipped)')
    .addOption(dbOption())
    .addOption(allowRemoteHostOption())
    .addOption(databaseUrlOption())
    .action(async (ref: string | undefined, o: StoreFlags & { all?: boolean }) => {
      if (ref === undefined && !o.all) throw new UsageError('name a connection, or pass --all')
      if (ref !== undefined && o.all) throw new UsageError('name a connection or pass --all, not both')
      await withDirectory(o, async (ctx) => {
        const all = await ctx.store.read((q) => q.connections.all())
        const chosen = ref === undefined ? all : [await ctx.store.read((q) => findConnection(q, ref))]
        const skipped = ref === undefined ? chosen.filter((c) => c.status === 'needs_reauth') : []
        for (const c of skipped) printLine(`- ${label(c)}: skipped, it needs a new token (the remote answered 401)`)
        const runs = await syncAll(
          ctx,
          chosen.filter((c) => !skipped.includes(c)),
        )
        if (ref === undefined && chosen.length === 0) printLine('No connections.')
        const failed = runs.filter((r) => r.state === 'failed').length
        if (failed > 0) throw new SyncFailedError(`${failed} of ${runs.length} sync${runs.length === 1 ? '' : 's'} failed`)
      })
    })
  cmd
    .command('approve')
    .description('apply the deletions a sync run held back (the drift guard)')
    .argument('<run>', 'sync run id')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .action(async (runId: string, o: StoreFlags) => {
      // --db may land on `sync` or on `approve`, depending on where it was typed.
      await withDirectory({ ...cmd.opts<StoreFlags>(), ...o }, async (ctx) => {
        const run = presentRun(await approveRun(ctx, runId))
        printLine(
          `Approved run ${run.id}: ${run.stats.removed.users} account${run.stats.removed.users === 1 ? '' : 's'} marked deleted, ${run.stats.removed.memberships} membership${run.stats.removed.memberships === 1 ? '' : 's'} removed.`,
        )
      })
    })
  return cmd
}

/** The connection's name (and the remote's slug), escaped for one line: both may hold anything (terminal.ts). */
const label = (c: ConnectionRow) =>
  c.name === c.remote_workspace_slug ? oneLine(c.name) : `${oneLine(c.name)} (${oneLine(c.remote_workspace_slug)})`

/**
 * Runs the syncs (several connections at once, as the scheduler would) with one progress bar each on a
 * terminal, then prints a summary line each. Bars go to stderr and only to a TTY: piped output stays clean.
 */
async function syncAll(ctx: DirectoryContext, connections: readonly ConnectionRow[]): Promise<SyncRunRow[]> {
  const bars = process.stderr.isTTY
    ? new cliProgress.MultiBar(
        {
          format: ' {name} |{bar}| lists {value}/{total} | pages {pages} | users {users} | 429s {rateLimited} | waited {waited}s',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  const queue = new PQueue({ concurrency: Math.max(1, ctx.config.syncConcurrency) })
  // Ctrl-C cancels the runs at their next page, so they are recorded as failed rather than left running.
  const interrupt = new AbortController()
  const onSigint = () => interrupt.abort(new DOMException('interrupted (SIGINT)', 'AbortError'))
  process.once('SIGINT', onSigint)
  const width = Math.max(...connections.map((c) => label(c).length), 1)
  let runs: SyncRunRow[]
  try {
    runs = await Promise.all(
      connections.map((connection) =>
        queue.add(async () => {
          const name = label(connection).padEnd(width)
          const bar = bars?.create(5, 0, { name, pages: 0, users: 0, rateLimited: 0, waited: 0 })
          const update = (p: SyncProgress) => {
            bar?.setTotal(p.listsTotal)
            bar?.update(p.listsDone, {
              name,
              pages: p.pages,
              users: p.usersSeen,
              rateLimited: p.rateLimited,
              waited: Math.round(p.waitedMs / 1000),
            })
          }
          return runSync(ctx, connection.id, { trigger: 'cli', onProgress: update, signal: interrupt.signal })
        }),
      ),
    )
  } finally {
    bars?.stop()
    process.removeListener('SIGINT', onSigint)
  }
  for (const [i, run] of runs.entries()) printLine(summarise(connections[i] as ConnectionRow, run))
  return runs
}

/** One line per run: what it saw and changed, what it cost, or why it failed. */
export function summarise(connection: ConnectionRow, row: SyncRunRow): string {
  const run = presentRun(row)
  const s = run.stats
  const name = label(connection)
  if (run.state === 'failed') return `x ${name}: failed after ${seconds(s.durationMs)}: ${oneLine(String(run.error))}`
  if (s.mode === 'unchanged')
    return `ok ${name}: unchanged in ${seconds(s.durationMs)} (the remote's audit trail and list totals show no change since the last full read); ${s.requests} requests, ${s.rateLimited} rate-limited`
  const change = (k: 'users' | 'groups' | 'memberships' | 'roles') => `${s.seen[k]} (+${s.created[k]} ~${s.updated[k]} -${s.removed[k]})`
  const line = `${run.state === 'held' ? '!' : 'ok'} ${name}: ${run.state} in ${seconds(s.durationMs)}: users ${change('users')}, groups ${change('groups')}, memberships ${change('memberships')}, roles ${change('roles')}; ${s.requests} requests, ${s.rateLimited} rate-limited`
  const notes: string[] = []
  if (!run.complete) notes.push(`  incomplete, nothing removed: ${oneLine(String(run.error))}`)
  if (run.state === 'held')
    notes.push(`  ${s.held} deletion${s.held === 1 ? '' : 's'} held by the drift guard; apply with: gatehouse sync approve ${run.id}`)
  return [line, ...notes].join('\n')
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

import type { RemoteStats } from '../connectors/segment.js'
import type { ReadProgress } from './remote.js'

export interface SyncProgress {
  connectionId: string
  runId: string
  phase: 'reading' | 'applying' | 'done'
  /** Lists (and the workspace) read to their end, out of those known to be needed so far. */
  listsDone: number
  listsTotal: number
  pages: number
  requests: number
  /** Members and invites read from the users and invites lists. */
  usersSeen: number
  rateLimited: number
  retries: number
  waitedMs: number
}

/** Where a run is, told to its `onProgress` listener (if any) at each page, list and phase. */
export class RunProgress {
  private readonly state: SyncProgress

  /** `stats` is the remote client's: its traffic figures are copied into each report. */
  constructor(
    run: { id: string; connection_id: string },
    private readonly stats: RemoteStats,
    private readonly listener?: (progress: SyncProgress) => void,
  ) {
    this.state = {
      connectionId: run.connection_id,
      runId: run.id,
      phase: 'reading',
      // The workspace and the four top-level lists; each group adds its own two once the groups are read.
      listsDone: 0,
      listsTotal: 5,
      pages: 0,
      requests: 0,
      usersSeen: 0,
      rateLimited: 0,
      retries: 0,
      waitedMs: 0,
    }
  }

  report(): void {
    if (!this.listener) return
    const { pages, requests, rateLimited, retries, waitedMs } = this.stats
    Object.assign(this.state, { pages, requests, rateLimited, retries, waitedMs })
    this.listener({ ...this.state })
  }

  enter(phase: SyncProgress['phase']): void {
    this.state.phase = phase
    this.report()
  }

  pageRead(path: string, items: number): void {
    if (path === '/users' || path === '/invites') this.state.usersSeen += items
    this.report()
  }

  /** The callbacks `readRemote` reports its lists through. */
  readonly lists: ReadProgress = {
    onListDone: () => {
      this.state.listsDone++
      this.report()
    },
    onListsPlanned: (count) => {
      this.state.listsTotal += count
      this.report()
    },
  }
}

import type { Store } from '../../store/store.js'
import type { CursorCodec } from '../../wire/cursor.js'
import type { InvitationSender } from '../operations/invitations.js'

/** What every IAM route plugin is given. */
export interface IamDeps {
  store: Store
  cursors: CursorCodec
  /** Mails new invites, inside the inviting transaction. */
  invitations: InvitationSender
  /** Called after a change that queued mail commits, so the server sends it at once. */
  mailQueued: () => void
}

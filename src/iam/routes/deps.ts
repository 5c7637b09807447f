import type { Store } from '../../store/store.js'
import type { CursorCodec } from '../../wire/cursor.js'

/** What every IAM route plugin is given. */
export interface IamDeps {
  store: Store
  cursors: CursorCodec
}

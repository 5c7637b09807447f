import { newId } from '../ids.js'
import type { NewDirEvent } from '../store/queries/dir-events.js'
import type { DirectoryEventType } from './schemas/unified.js'

/** Who writes a batch of change events: a sync run (its id), or an action (`runId: null`), at one time. */
export interface EventSource {
  connectionId: string
  runId: string | null
  now: string
  /** Event ids (time-ordered by default; planners pass their own to stay pure). */
  newId?: () => string
}

/** The one way change events are built: the payload is stored as JSON text, in the order events are made. */
export function eventBuilder(source: EventSource): (type: DirectoryEventType, subjectId: string, data: unknown) => NewDirEvent {
  const id = source.newId ?? newId
  return (type, subjectId, data) => ({
    id: id(),
    type,
    connection_id: source.connectionId,
    subject_id: subjectId,
    sync_run_id: source.runId,
    data: JSON.stringify(data),
    created_at: source.now,
  })
}

import { describe, expect, it } from 'vitest'
import { answeredMemberCount, invitedAccount, invitedEmail, withMemberCount } from '../../src/directory/actions/apply.js'
import { actionStatus, partStatus } from '../../src/directory/actions/result.js'
import { type ExecutedCall, judgeAnswer, unsentPart } from '../../src/directory/actions/send.js'
import type { CallOutcome, PlannedCall, PlannedPart } from '../../src/directory/actions/types.js'
import { remoteError, remoteWords } from '../../src/directory/connectors/segment.js'
import { groupFingerprint, userFingerprint } from '../../src/directory/sync/fingerprint.js'
import type { ConnectionRow } from '../../src/store/queries/connections.js'
import type { DirGroupRow } from '../../src/store/queries/dir-groups.js'

// The pure pieces of an action's run: how an answer is judged, what it changes in a row, and how outcomes
// add up to statuses. Sending and recording are tested end to end (actions*.test.ts).

const call = (over: Partial<PlannedCall> = {}): PlannedCall => ({
  method: 'DELETE',
  path: '/users',
  query: { userIds: ['u1'] },
  description: 'delete member ada@example.com (u1)',
  effect: { kind: 'delete', userId: 'd1' },
  gate: false,
  alreadyDone: [404],
  ...over,
})

const part = (calls: PlannedCall[], blocked: PlannedPart['blocked'] = null): PlannedPart => ({
  connection: { id: 'c1', name: 'acme' } as ConnectionRow,
  calls,
  noops: [],
  blocked,
})

const executed = (...outcomes: CallOutcome[]): ExecutedCall[] =>
  outcomes.map((outcome) => ({ call: call(), outcome, status: null, error: null, answer: undefined }))

describe("the remote's error envelope", () => {
  it('speaks through its first entry, else through the start of the body, else the status', () => {
    expect(remoteWords(404, { errors: [{ type: 'not-found', message: 'User not found' }, { message: 'later' }] })).toEqual({
      type: 'not-found',
      message: 'User not found',
    })
    expect(remoteWords(502, `<html>${'x'.repeat(300)}`)).toEqual({ type: 'unknown', message: `<html>${'x'.repeat(194)}` })
    expect(remoteWords(503, '')).toEqual({ type: 'unknown', message: 'HTTP 503' })
    expect(remoteWords(500, null)).toEqual({ type: 'unknown', message: 'HTTP 500' })
  })

  it('becomes an error that says who answered what, keeping the status, the type and the body', () => {
    const body = { errors: [{ type: 'conflict', message: 'Already a member' }] }
    const error = remoteError(409, body)
    expect(error.message).toBe('Remote answered 409: Already a member')
    expect({ status: error.status, type: error.type, body: error.body }).toEqual({ status: 409, type: 'conflict', body })
  })
})

describe('judgeAnswer', () => {
  it('reads a 2xx as succeeded and a listed status as already done, keeping the answer', () => {
    expect(judgeAnswer(call(), 200, { data: {} })).toEqual({
      call: call(),
      outcome: 'succeeded',
      status: 200,
      error: null,
      answer: { data: {} },
    })
    expect(judgeAnswer(call(), 404, 'gone')).toMatchObject({ outcome: 'already_done', status: 404, error: null })
  })

  it('reads any other status as failed, in the remote words', () => {
    const answer = { errors: [{ type: 'not-found', message: 'Nope' }] }
    expect(judgeAnswer(call({ alreadyDone: [] }), 404, answer)).toEqual({
      call: call({ alreadyDone: [] }),
      outcome: 'failed',
      status: 404,
      error: { type: 'not-found', status: 404, message: 'Remote answered 404: Nope' },
      answer,
    })
    expect(judgeAnswer(call(), 409, undefined).error).toEqual({ type: 'unknown', status: 409, message: 'Remote answered 409: HTTP 409' })
  })
})

describe('unsentPart', () => {
  it('lists every call as planned (a dry run) or not attempted, with the reason and no traffic', () => {
    const reason = { type: 'needs_reauth', status: null, message: 'rotate its token' }
    const sent = unsentPart(part([call(), call()], reason), 'not_attempted', reason)
    expect(sent.calls.map((c) => c.outcome)).toEqual(['not_attempted', 'not_attempted'])
    expect({ error: sent.error, unauthorized: sent.unauthorized, requests: sent.stats.requests }).toEqual({
      error: reason,
      unauthorized: false,
      requests: 0,
    })
    expect(unsentPart(part([call()]), 'planned', null).calls.map((c) => c.outcome)).toEqual(['planned'])
  })
})

describe("what an answer changes in the directory's rows", () => {
  it("takes the invited email from Segment's answer when it names one", () => {
    expect(invitedEmail({ data: { emails: ['Ada@Example.com'] } }, 'ada@example.com')).toBe('Ada@Example.com')
    expect(invitedEmail({ data: {} }, 'ada@example.com')).toBe('ada@example.com')
    expect(invitedEmail(undefined, 'ada@example.com')).toBe('ada@example.com')
  })

  it("takes a group's member count only when the answer gives a number", () => {
    expect(answeredMemberCount({ data: { userGroup: { memberCount: 3 } } })).toBe(3)
    expect(answeredMemberCount({ data: { userGroup: { memberCount: '3' } } })).toBeUndefined()
    expect(answeredMemberCount({ data: {} })).toBeUndefined()
  })

  it('stores an invite as a sync would: no remote id, no roles, the invite in remote_data, fingerprinted', () => {
    const row = invitedAccount('ada@example.com', '2030-01-01T00:00:00.000Z')
    expect(row).toEqual({
      remote_id: null,
      email: 'ada@example.com',
      name: null,
      status: 'invited',
      roles: '[]',
      remote_data: '{"invite":"ada@example.com"}',
      fingerprint: userFingerprint({ ...row }),
      last_seen_at: '2030-01-01T00:00:00.000Z',
      last_changed_at: '2030-01-01T00:00:00.000Z',
      deleted_at: null,
    })
  })

  it("rewrites a group's member count in its column, its remote_data and its fingerprint", () => {
    const group = {
      id: 'g1',
      connection_id: 'c1',
      remote_id: 'rg1',
      name: 'eng',
      member_count: 2,
      roles: '[]',
      remote_data: '{"memberCount":2,"name":"eng"}',
      fingerprint: 'old',
      first_seen_at: '2030-01-01T00:00:00.000Z',
      last_seen_at: '2030-01-01T00:00:00.000Z',
      deleted_at: null,
    } as DirGroupRow
    const after = withMemberCount(group, 3)
    expect(after).toEqual({ ...group, member_count: 3, remote_data: '{"memberCount":3,"name":"eng"}', fingerprint: expect.any(String) })
    expect(after?.fingerprint).toBe(groupFingerprint({ ...group, member_count: 3, remote_data: '{"memberCount":3,"name":"eng"}' }))
    expect(withMemberCount(group, 2)).toBeUndefined()
    expect(withMemberCount({ ...group, deleted_at: '2030-01-02T00:00:00.000Z' }, 3)).toBeUndefined()
  })
})

describe('statuses', () => {
  it('of a part: failed when blocked or sent nothing for a reason, else by how many of its calls went through', () => {
    const reason = { type: 'credentials', status: null, message: 'unreadable' }
    expect(partStatus({ part: part([], reason), calls: [], error: reason }, false)).toBe('failed')
    expect(partStatus({ part: part([]), calls: [], error: null }, false)).toBe('noop')
    expect(partStatus({ part: part([call()]), calls: executed('planned'), error: null }, true)).toBe('planned')
    expect(partStatus({ part: part([call()]), calls: executed('succeeded', 'already_done'), error: null }, false)).toBe('succeeded')
    expect(partStatus({ part: part([call()]), calls: executed('succeeded', 'failed'), error: reason }, false)).toBe('partial')
    expect(partStatus({ part: part([call()]), calls: executed('failed', 'not_attempted'), error: reason }, false)).toBe('failed')
  })

  it('of an action: planned or noop for a dry run; partial or failed when a part failed; else succeeded or noop', () => {
    const outcomes = (...o: CallOutcome[]) => o.map((outcome) => ({ outcome }))
    expect(actionStatus([{ status: 'planned' }], outcomes('planned'), true)).toBe('planned')
    expect(actionStatus([{ status: 'noop' }], [], true)).toBe('noop')
    expect(actionStatus([{ status: 'failed' }], [], true)).toBe('planned')
    expect(actionStatus([{ status: 'succeeded' }, { status: 'failed' }], outcomes('succeeded', 'not_attempted'), false)).toBe('partial')
    expect(actionStatus([{ status: 'failed' }], outcomes('failed'), false)).toBe('failed')
    expect(actionStatus([{ status: 'succeeded' }], outcomes('already_done'), false)).toBe('succeeded')
    expect(actionStatus([{ status: 'noop' }], [], false)).toBe('noop')
  })
})

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gatehouse, type HttpResult, type SeededWorkspace, startGatehouse } from '../helpers/gatehouse.js'
import { AnswerLog, expectWellFormed, fcParams, fuzzRuns } from './support.js'

/*
 * Model-based tenant isolation: random interleaved operations by the tokens of three workspaces (ids of one
 * workspace used by the others on purpose), each checked against a small in-memory model of what every
 * workspace should hold. After every step each token's lists (users with permissions, invites, groups with
 * memberCount and permissions, group members and invites, labels, and their totals) must equal the model.
 * A row of one workspace seen by another, or a 2xx on another workspace's id, fails the run.
 */

const ROLE = { owner: '1WDUuRLxv84rrfCNUwvkrRtkxnS', minimal: '1aEWAcU0fArxScocwH9xxLgW7r3', sourceAdmin: '2Gh0wIFcqhZ8T8NVOGE5k4dKcXr' }
const EMAILS = ['p1@iso.example', 'p2@iso.example', 'p3@iso.example', 'p4@iso.example', 'p5@iso.example', 'p6@iso.example']
const GROUP_NAMES = ['ops', 'OPS', ' ops ', 'dev', 'qa', 'Data Team']
const LABELS = ['team:red', 'team:blue', 'environment:dev', 'environment:prod']
const WORKSPACES = 3

/** A permission as the wire shows it, in one canonical string (roleId plus resources, in the server's key order). */
type Perm = string

interface Group {
  name: string
  members: Set<string>
  invites: Set<string>
  perms: Perm[]
}

interface Ws {
  seeded: SeededWorkspace
  users: Map<string, { id: string; email: string; perms: Perm[] }>
  invites: Map<string, { email: string; perms: Perm[] }>
  groups: Map<string, Group>
  labels: Set<string>
}

interface Model {
  ws: Ws[]
  /** Every group and user id ever seen, with the workspace that made it: commands pick from all of them. */
  groupIds: { id: string; ws: number }[]
  userIds: { id: string; ws: number }[]
}

/** What a role choice grants, for workspace `ws`: a role over the whole workspace, maybe narrowed by a label. */
type Grant = { role: keyof typeof ROLE; label?: string }

function permOf(grant: Grant, wsId: string): Perm {
  const resource: Record<string, unknown> = { id: wsId, type: 'WORKSPACE' }
  if (grant.label) {
    const [key, value] = grant.label.split(':')
    resource.labels = [{ key, value }]
  }
  return `${ROLE[grant.role]}|${JSON.stringify([resource])}`
}

function grantBody(grant: Grant, wsId: string) {
  const resource: Record<string, unknown> = { id: wsId, type: 'WORKSPACE' }
  if (grant.label) {
    const [key, value] = grant.label.split(':')
    resource.labels = [{ key, value }]
  }
  return { roleId: ROLE[grant.role], resources: [resource] }
}

const wirePerm = (p: { roleId: string; resources: unknown }): Perm => `${p.roleId}|${JSON.stringify(p.resources)}`
const sorted = <T>(xs: Iterable<T>) => [...xs].sort()
const ownerRemains = (ws: Ws) => [...ws.users.values()].some((u) => u.perms.some((p) => p.startsWith(`${ROLE.owner}|`)))
const labelInUse = (ws: Ws, label: string) => {
  const [key, value] = label.split(':')
  const needle = JSON.stringify({ key, value })
  const all = [...ws.users.values(), ...ws.invites.values(), ...ws.groups.values()].flatMap((s) => s.perms)
  return all.some((p) => p.includes(needle))
}

/** Deep-copies a workspace model, so a command can compute the expected state and keep the old one on refusal. */
function clone(ws: Ws): Ws {
  return {
    seeded: ws.seeded,
    users: new Map([...ws.users].map(([k, u]) => [k, { ...u, perms: [...u.perms] }])),
    invites: new Map([...ws.invites].map(([k, i]) => [k, { ...i, perms: [...i.perms] }])),
    groups: new Map(
      [...ws.groups].map(([k, g]) => [k, { name: g.name, members: new Set(g.members), invites: new Set(g.invites), perms: [...g.perms] }]),
    ),
    labels: new Set(ws.labels),
  }
}

describe('tenant isolation', () => {
  let gh: Gatehouse
  const answers = new AnswerLog()
  const secrets: Record<string, string> = {}
  let steps = 0
  /** Which outcome each operation had, to show the run reached refusals as well as changes. */
  const outcomes = new Map<string, number>()

  beforeAll(async () => {
    gh = await startGatehouse()
  })
  afterAll(() => gh?.stop())

  /** Sends a request as workspace `ws` (its OWNER token), checks the envelope, records the answer. */
  async function call(ws: Ws, method: string, path: string, body?: unknown): Promise<HttpResult> {
    const res = await ws.seeded.http.request(method, path, body)
    answers.record(`${method} ${path}`, res.text)
    expectWellFormed({ what: `${method} ${path}`, status: res.status, text: res.text, method })
    return res
  }

  function expectStatus(res: HttpResult, expected: number, what: string): void {
    const name = what.split(' ')[0] as string
    if (name !== 'list') outcomes.set(`${name} ${expected}`, (outcomes.get(`${name} ${expected}`) ?? 0) + 1)
    expect(res.status, `${what}: expected ${expected}, got ${res.status} ${res.text.slice(0, 300)}`).toBe(expected)
  }

  /** Everything `ws`'s token can list must equal the model: no more (another tenant's rows), no less. */
  async function expectMatches(ws: Ws, index: number): Promise<void> {
    const tag = `workspace ${index} after step ${steps}`
    const list = async (path: string) => {
      const res = await call(ws, 'GET', `${path}${path.includes('?') ? '&' : '?'}pagination%5Bcount%5D=1000`)
      expectStatus(res, 200, `list ${tag}: GET ${path}`)
      return res.body.data
    }
    const groupLists = [...ws.groups].map(async ([id, g]) => {
      const [members, pending] = await Promise.all([list(`/groups/${id}/users`), list(`/groups/${id}/invites`)])
      expect(sorted(members.users.map((u: any) => u.email)), `${tag}: members of ${g.name}`).toEqual(
        sorted([...g.members].map((k) => ws.users.get(k)?.email)),
      )
      expect(members.pagination.totalEntries, `${tag}: members of ${g.name}, totalEntries`).toBe(g.members.size)
      expect(sorted(pending.emails), `${tag}: invites of ${g.name}`).toEqual(sorted([...g.invites].map((k) => ws.invites.get(k)?.email)))
      expect(pending.pagination.totalEntries, `${tag}: invites of ${g.name}, totalEntries`).toBe(g.invites.size)
    })
    const [users, invites, groups, labels] = await Promise.all([
      list('/users'),
      list('/invites'),
      list('/groups'),
      call(ws, 'GET', '/labels'),
    ])
    expect(
      sorted(users.users.map((u: any) => JSON.stringify([u.email, u.id, sorted(u.permissions.map(wirePerm))]))),
      `${tag}: users`,
    ).toEqual(sorted([...ws.users.values()].map((u) => JSON.stringify([u.email, u.id, sorted(u.perms)]))))
    expect(users.pagination.totalEntries, `${tag}: users totalEntries`).toBe(ws.users.size)
    expect(sorted(invites.invites), `${tag}: invites`).toEqual(sorted([...ws.invites.values()].map((i) => i.email)))
    expect(invites.pagination.totalEntries, `${tag}: invites totalEntries`).toBe(ws.invites.size)
    expect(
      sorted(groups.userGroups.map((g: any) => JSON.stringify([g.id, g.name, g.memberCount, sorted(g.permissions.map(wirePerm))]))),
      `${tag}: groups`,
    ).toEqual(sorted([...ws.groups].map(([id, g]) => JSON.stringify([id, g.name, g.members.size, sorted(g.perms)]))))
    expect(groups.pagination.totalEntries, `${tag}: groups totalEntries`).toBe(ws.groups.size)
    expect(sorted(labels.body.data.labels.map((l: any) => `${l.key}:${l.value}`)), `${tag}: labels`).toEqual(sorted(ws.labels))
    await Promise.all(groupLists)
  }

  async function expectAllMatch(m: Model): Promise<void> {
    steps++
    await Promise.all(m.ws.map((ws, i) => expectMatches(ws, i)))
  }

  /* ----------------------------------------------------------------------------------------------------
   * Commands. Each predicts the status and the new model from the old one, then checks both.
   * -------------------------------------------------------------------------------------------------- */

  type Cmd = fc.AsyncCommand<Model, object>

  /** A group or user id: mostly the actor's own (live or deleted), else anyone's. */
  const pick = (ids: { id: string; ws: number }[], a: number, r: Ref) => {
    const own = ids.filter((x) => x.ws === a)
    const from = r.own && own.length > 0 ? own : ids
    return from[r.n % Math.max(1, from.length)]
  }
  const pickGroup = (m: Model, a: number, r: Ref) => pick(m.groupIds, a, r)
  const pickUser = (m: Model, a: number, r: Ref) => pick(m.userIds, a, r)
  const keyOf = (e: string) => e.toLowerCase()
  const owns = (m: Model, actor: number, ref: { id: string; ws: number } | undefined) =>
    ref !== undefined &&
    ref.ws === actor &&
    (m.ws[actor]?.groups.has(ref.id) || [...(m.ws[actor]?.users.values() ?? [])].some((u) => u.id === ref.id))

  /** Applies "these emails join the group" to a workspace model (members join, others become invites in it). */
  function addToGroup(ws: Ws, group: Group, emails: string[]): void {
    for (const email of emails) {
      const key = keyOf(email)
      if (ws.users.has(key)) group.members.add(key)
      else {
        if (!ws.invites.has(key)) ws.invites.set(key, { email, perms: [] })
        group.invites.add(key)
      }
    }
  }

  const command = (name: string, args: Record<string, unknown>, run: (m: Model) => Promise<void>): Cmd => ({
    check: () => true,
    run: async (m) => {
      await run(m)
      await expectAllMatch(m)
    },
    toString: () => `${name}(${JSON.stringify(args)})`,
  })

  const actor = fc.nat(WORKSPACES - 1)
  type Ref = { own: boolean; n: number }
  const ref: fc.Arbitrary<Ref> = fc.record({ own: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)), n: fc.nat(1000) })
  const someEmails = (min: number) => fc.subarray(EMAILS, { minLength: min, maxLength: 3 })
  const grant: fc.Arbitrary<Grant> = fc.oneof(
    fc.record({ role: fc.constantFrom<'owner' | 'minimal'>('owner', 'minimal') }),
    fc.record({ role: fc.constant<'sourceAdmin'>('sourceAdmin'), label: fc.constantFrom(...LABELS) }),
  )

  const createGroup = fc.record({ a: actor, name: fc.constantFrom(...GROUP_NAMES) }).map(({ a, name }) =>
    command('createGroup', { a, name }, async (m) => {
      const ws = m.ws[a] as Ws
      const key = name.trim().toLowerCase()
      const taken = [...ws.groups.values()].some((g) => g.name.toLowerCase() === key)
      const res = await call(ws, 'POST', '/groups', { name })
      expectStatus(res, taken ? 409 : 200, `createGroup ${name}`)
      if (taken) return
      const id = res.body.data.userGroup.id as string
      ws.groups.set(id, { name: name.trim(), members: new Set(), invites: new Set(), perms: [] })
      m.groupIds.push({ id, ws: a })
    }),
  )

  const renameGroup = fc.record({ a: actor, g: ref, name: fc.constantFrom(...GROUP_NAMES) }).map(({ a, g, name }) =>
    command('renameGroup', { a, g, name }, async (m) => {
      const ws = m.ws[a] as Ws
      const target = pickGroup(m, a, g)
      const group = target && owns(m, a, target) ? ws.groups.get(target.id) : undefined
      const key = name.trim().toLowerCase()
      const expected =
        group === undefined
          ? 404
          : key !== group.name.toLowerCase() && [...ws.groups.values()].some((x) => x.name.toLowerCase() === key)
            ? 409
            : 200
      const res = await call(ws, 'PATCH', `/groups/${target?.id ?? 'none'}`, { name })
      expectStatus(res, expected, `renameGroup ${target?.id} → ${name}`)
      if (expected === 200 && group) group.name = name.trim()
    }),
  )

  const deleteGroup = fc.record({ a: actor, g: ref }).map(({ a, g }) =>
    command('deleteGroup', { a, g }, async (m) => {
      const ws = m.ws[a] as Ws
      const target = pickGroup(m, a, g)
      const mine = target !== undefined && owns(m, a, target)
      const res = await call(ws, 'DELETE', `/groups/${target?.id ?? 'none'}`)
      expectStatus(res, mine ? 200 : 404, `deleteGroup ${target?.id}`)
      if (mine && target) ws.groups.delete(target.id)
    }),
  )

  const groupMembers = fc
    .record({ a: actor, g: ref, op: fc.constantFrom('add', 'remove', 'replace'), emails: someEmails(0), plural: fc.boolean() })
    .map(({ a, g, op, emails, plural }) =>
      command('groupMembers', { a, g, op, emails, plural }, async (m) => {
        const ws = m.ws[a] as Ws
        const target = pickGroup(m, a, g)
        const group = target && owns(m, a, target) ? ws.groups.get(target.id) : undefined
        const path = `/${plural ? 'groups' : 'group'}/${target?.id ?? 'none'}/users`
        // add and remove take 1..1000 emails; an empty list is a 422 before anything else.
        const empty = emails.length === 0 && op !== 'replace'
        let res: HttpResult
        if (op === 'add') res = await call(ws, 'POST', path, { emails })
        else if (op === 'replace') res = await call(ws, 'PUT', path, { emails })
        else res = await call(ws, 'DELETE', `${path}?${emails.map((e, i) => `emails%5B${i}%5D=${encodeURIComponent(e)}`).join('&')}`)
        expectStatus(res, empty ? 422 : group ? 200 : 404, `members.${op} ${emails} in ${target?.id}`)
        if (empty || !group) return
        const keys = new Set(emails.map(keyOf))
        if (op === 'remove' || op === 'replace') {
          for (const k of [...group.members]) if (op === 'remove' ? keys.has(k) : !keys.has(k)) group.members.delete(k)
          for (const k of [...group.invites]) if (op === 'remove' ? keys.has(k) : !keys.has(k)) group.invites.delete(k)
        }
        if (op === 'add' || op === 'replace') addToGroup(ws, group, emails)
        if (op !== 'remove') expect(res.body.data.userGroup.memberCount).toBe(group.members.size)
      }),
    )

  const createInvites = fc
    .record({ a: actor, emails: someEmails(1), grant: fc.option(grant, { nil: undefined }) })
    .map(({ a, emails, grant }) =>
      command('createInvites', { a, emails, grant }, async (m) => {
        const ws = m.ws[a] as Ws
        const wsId = ws.seeded.id
        const permission = grant && {
          roleId: ROLE[grant.role],
          ...(grant.label ? { labels: [{ key: grant.label.split(':')[0], value: grant.label.split(':')[1] }] } : {}),
        }
        const badLabel = grant?.label !== undefined && !ws.labels.has(grant.label)
        const member = emails.some((e) => ws.users.has(keyOf(e)))
        const res = await call(ws, 'POST', '/invites', {
          invites: emails.map((email) => ({ email, ...(permission ? { permissions: [permission] } : {}) })),
        })
        expectStatus(res, badLabel ? 422 : member ? 409 : 201, `invite ${emails}`)
        if (badLabel || member) return
        for (const email of emails) {
          const invite = ws.invites.get(keyOf(email)) ?? { email, perms: [] }
          if (grant) invite.perms.push(permOf(grant, wsId))
          ws.invites.set(keyOf(email), invite)
        }
      }),
    )

  const deleteInvites = fc.record({ a: actor, pending: fc.boolean(), some: someEmails(1) }).map(({ a, pending, some }) =>
    command('deleteInvites', { a, pending, some }, async (m) => {
      const ws = m.ws[a] as Ws
      // Half the time the workspace's own pending invites (so withdrawals happen), else any emails.
      const own = [...ws.invites.values()].map((i) => i.email)
      const emails = pending && own.length > 0 ? own.slice(0, some.length) : some
      const all = emails.every((e) => ws.invites.has(keyOf(e)))
      const res = await call(ws, 'DELETE', `/invites?${emails.map((e) => `emails=${encodeURIComponent(e)}`).join('&')}`)
      expectStatus(res, all ? 200 : 404, `deleteInvites ${emails}`)
      if (!all) return
      for (const e of emails) {
        ws.invites.delete(keyOf(e))
        for (const g of ws.groups.values()) g.invites.delete(keyOf(e))
      }
    }),
  )

  const addUsers = fc.record({ a: actor, emails: someEmails(1) }).map(({ a, emails }) =>
    command('addUsers (operator)', { a, emails }, async (m) => {
      const ws = m.ws[a] as Ws
      const res = await gh.admin.post(`/admin/workspaces/${ws.seeded.id}/users`, { users: emails.map((email) => ({ email, name: 'n' })) })
      answers.record('addUsers', res.text)
      expectStatus(res, 201, `addUsers ${emails}`)
      const returned = res.body.data.users as { id: string; email: string }[]
      expect(returned.map((u) => keyOf(u.email))).toEqual(emails.map(keyOf))
      for (const u of returned) {
        const key = keyOf(u.email)
        const existing = ws.users.get(key)
        if (existing) {
          expect(u.id).toBe(existing.id)
          continue
        }
        const invite = ws.invites.get(key)
        ws.users.set(key, { id: u.id, email: u.email, perms: invite?.perms ?? [] })
        m.userIds.push({ id: u.id, ws: a })
        if (invite) {
          ws.invites.delete(key)
          for (const g of ws.groups.values()) if (g.invites.delete(key)) g.members.add(key)
        }
      }
    }),
  )

  const deleteUsers = fc.record({ a: actor, refs: fc.array(ref, { minLength: 1, maxLength: 2 }) }).map(({ a, refs }) =>
    command('deleteUsers', { a, refs }, async (m) => {
      const ws = m.ws[a] as Ws
      const targets = refs.map((r) => pickUser(m, a, r)).filter((t) => t !== undefined)
      const allMine = targets.every((t) => owns(m, a, t))
      const after = clone(ws)
      const ids = new Set(targets.map((t) => t.id))
      for (const [k, u] of [...after.users]) if (ids.has(u.id)) after.users.delete(k)
      for (const g of after.groups.values()) for (const k of [...g.members]) if (!after.users.has(k)) g.members.delete(k)
      const expected = !allMine ? 404 : ownerRemains(after) ? 200 : 409
      const res = await call(ws, 'DELETE', `/users?${targets.map((t, i) => `userIds%5B${i}%5D=${t.id}`).join('&')}`)
      expectStatus(res, expected, `deleteUsers ${[...ids]}`)
      if (expected === 200) m.ws[a] = after
    }),
  )

  const permissions = fc
    .record({
      a: actor,
      kind: fc.constantFrom('users', 'groups'),
      s: ref,
      replace: fc.boolean(),
      grants: fc.array(grant, { maxLength: 2 }),
    })
    .map(({ a, kind, s, replace, grants }) =>
      command('permissions', { a, kind, s, replace, grants }, async (m) => {
        const ws = m.ws[a] as Ws
        const target = kind === 'users' ? pickUser(m, a, s) : pickGroup(m, a, s)
        const after = clone(ws)
        const subject =
          target && owns(m, a, target)
            ? kind === 'users'
              ? [...after.users.values()].find((u) => u.id === target.id)
              : after.groups.get(target.id)
            : undefined
        const res = await call(ws, replace ? 'PUT' : 'POST', `/${kind}/${target?.id ?? 'none'}/permissions`, {
          permissions: grants.map((g) => grantBody(g, ws.seeded.id)),
        })
        let expected: number
        if (!replace && grants.length === 0) expected = 422
        else if (!subject) expected = 404
        else if (grants.some((g) => g.label !== undefined && !ws.labels.has(g.label))) expected = 422
        else {
          subject.perms = [...(replace ? [] : subject.perms), ...grants.map((g) => permOf(g, ws.seeded.id))]
          expected = kind === 'users' && replace && !ownerRemains(after) ? 409 : 200
        }
        expectStatus(res, expected, `permissions.${replace ? 'replace' : 'add'} of ${kind} ${target?.id}`)
        if (expected === 200) m.ws[a] = after
      }),
    )

  const labels = fc.record({ a: actor, label: fc.constantFrom(...LABELS), remove: fc.boolean() }).map(({ a, label, remove }) =>
    command('labels', { a, label, remove }, async (m) => {
      const ws = m.ws[a] as Ws
      const [key, value] = label.split(':') as [string, string]
      if (remove) {
        const expected = !ws.labels.has(label) ? 404 : labelInUse(ws, label) ? 409 : 200
        expectStatus(await call(ws, 'DELETE', `/labels/${key}/${value}`), expected, `label.delete ${label}`)
        if (expected === 200) ws.labels.delete(label)
      } else {
        const expected = ws.labels.has(label) ? 409 : 201
        expectStatus(await call(ws, 'POST', '/labels', { label: { key, value } }), expected, `label.create ${label}`)
        ws.labels.add(label)
      }
    }),
  )

  /** Reads by id, own or foreign: 200 with the model's content for the owner, 404 for everyone else. */
  const readById = fc.record({ a: actor, g: ref, u: ref }).map(({ a, g, u }) =>
    command('readById', { a, g, u }, async (m) => {
      const ws = m.ws[a] as Ws
      const group = pickGroup(m, a, g)
      if (group) {
        const mine = owns(m, a, group)
        for (const path of [`/groups/${group.id}`, `/groups/${group.id}/users`, `/groups/${group.id}/invites`])
          expectStatus(await call(ws, 'GET', path), mine ? 200 : 404, `readById GET ${path} by workspace ${a} (group of ${group.ws})`)
      }
      const user = pickUser(m, a, u)
      if (user) {
        const mine = owns(m, a, user)
        const res = await call(ws, 'GET', `/users/${user.id}`)
        expectStatus(res, mine ? 200 : 404, `readById GET /users/${user.id} by workspace ${a} (user of ${user.ws})`)
        const groupsOf = await call(ws, 'GET', `/users/${user.id}/groups?pagination%5Bcount%5D=1000`)
        expectStatus(groupsOf, mine ? 200 : 404, `readById GET /users/${user.id}/groups by workspace ${a}`)
        if (mine) {
          const key = [...ws.users].find(([, x]) => x.id === user.id)?.[0] as string
          expect(sorted(groupsOf.body.data.groups.map((x: any) => x.id))).toEqual(
            sorted([...ws.groups].filter(([, x]) => x.members.has(key)).map(([id]) => id)),
          )
        }
      }
    }),
  )

  it('keeps every workspace seeing exactly its own users, invites, groups and labels under random interleaved operations', {
    timeout: 240_000,
  }, async () => {
    const commands = [
      createGroup,
      renameGroup,
      deleteGroup,
      groupMembers,
      groupMembers,
      createInvites,
      deleteInvites,
      addUsers,
      deleteUsers,
      permissions,
      permissions,
      labels,
      readById,
    ]
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 50, size: 'max' }), async (cmds) => {
        const setup = async () => {
          const seeded = await Promise.all(Array.from({ length: WORKSPACES }, () => gh.workspace()))
          const model: Model = { ws: [], groupIds: [], userIds: [] }
          for (const [i, s] of seeded.entries()) {
            secrets[`token of workspace ${s.slug}`] = s.token
            const owner = { id: s.owner.id, email: s.owner.email, perms: [permOf({ role: 'owner' }, s.id)] }
            model.ws.push({
              seeded: s,
              users: new Map([[keyOf(s.owner.email), owner]]),
              invites: new Map(),
              groups: new Map(),
              labels: new Set(['environment:dev', 'environment:prod']),
            })
            model.userIds.push({ id: s.owner.id, ws: i })
          }
          await expectAllMatch(model)
          return { model, real: {} }
        }
        await fc.asyncModelRun(setup, cmds)
      }),
      fcParams(Math.max(1, Math.round(fuzzRuns(450) / 30))),
    )
    console.info(`tenant isolation: ${steps} model checks; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`)
  })

  it('never answered a workspace token to any of these requests', () => {
    expect(answers.answers.length).toBeGreaterThan(100)
    answers.expectNoSecrets(secrets)
  })
})

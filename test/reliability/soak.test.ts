import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, HttpClient, type HttpResult } from '../helpers/gatehouse.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { seededRandom } from './random.js'

/*
 * A bounded soak: 50 clients across 10 workspaces send mixed reads and writes to the built server, as a
 * child process with its default rate limits (600 a minute per workspace, 60 per RL60 write endpoint), so
 * budgets run out and 429s come back. SOAK_SECONDS sets the length: 60 in CI, 20 by default on a
 * workstation so a local `npm test` stays quick. SOAK_SEED replays another sequence.
 */

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? (process.env.CI ? 60 : 20))
const SEED = Number(process.env.SOAK_SEED ?? 4242)
const CLIENTS = 50
const WORKSPACES = 10
const USERS_PER_WORKSPACE = 100
/** How much the server's RSS may grow over the soak. */
const RSS_GROWTH_LIMIT_MB = 150

interface SoakWorkspace {
  http: HttpClient
  userIds: string[]
  emails: string[]
  groupIds: string[]
}

interface Sample {
  status: number
  ms: number
}

/** The child's resident set, from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1]) / 1024
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/** A 429 carries Segment's body exactly: one error, these keys, no others. */
function tooManyRequestsProblems(res: HttpResult): string[] {
  const problems: string[] = []
  const error = res.body?.errors?.[0]
  if (Object.keys(res.body ?? {}).join() !== 'errors' || res.body.errors.length !== 1) problems.push('not one error in {errors}')
  else if (Object.keys(error).sort().join() !== 'data,message,status,type') problems.push(`keys ${Object.keys(error).join()}`)
  else {
    if (error.type !== 'RequestError' || error.message !== 'Too many requests' || error.status !== 429) problems.push('type/message/status')
    const data = error.data
    if (Object.keys(data).sort().join() !== 'consumedPoints,msBeforeNext,remainingPoints')
      problems.push(`data keys ${Object.keys(data).join()}`)
    else if (data.remainingPoints !== 0 || !(data.msBeforeNext > 0 && data.msBeforeNext <= 60_000) || !(data.consumedPoints > 0))
      problems.push(`data ${JSON.stringify(data)}`)
  }
  if (!(Number(res.headers.get('retry-after')) > 0)) problems.push('no Retry-After')
  return problems.map((p) => `429 body: ${p}: ${res.text}`)
}

describe('the server under a bounded soak', () => {
  let dir: string
  let server: ServerProcess | undefined

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'))
  })
  afterAll(async () => {
    await server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it(
    `answers ${CLIENTS} clients across ${WORKSPACES} workspaces with only 2xx and exact 429s, in bounded memory`,
    async () => {
      // Default rate limits: no --rate-limit flag.
      server = await spawnServer(['--db', join(dir, 'soak.db'), '--admin-key', ADMIN_KEY, '--no-sync-scheduler'])
      const pid = server.child.pid as number
      const admin = new HttpClient(server.url, ADMIN_KEY)
      const workspaces: SoakWorkspace[] = []
      for (let w = 0; w < WORKSPACES; w++) {
        const slug = `soak-${w}`
        const created = await admin.post('/admin/workspaces', { name: slug, slug, ownerEmail: `owner@${slug}.example` })
        expect(created.status, created.text).toBe(201)
        const http = new HttpClient(server.url, created.body.data.token)
        const emails = Array.from({ length: USERS_PER_WORKSPACE }, (_, k) => `user${k}@${slug}.example`)
        const added = await admin.post(`/admin/workspaces/${created.body.data.workspace.id}/users`, {
          users: emails.map((email) => ({ email })),
        })
        expect(added.status, added.text).toBe(201)
        const group = await http.post('/groups', { name: 'seed' })
        expect(group.status, group.text).toBe(200)
        workspaces.push({
          http,
          emails,
          userIds: added.body.data.users.map((u: { id: string }) => u.id),
          groupIds: [group.body.data.userGroup.id],
        })
      }

      const samples: Sample[] = []
      const unexpected: string[] = []
      const rssStart = rssMb(pid)
      let rssPeak = rssStart
      const startedAt = performance.now()
      const deadline = startedAt + SOAK_SECONDS * 1000
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, rssMb(pid))
      }, 1000)

      async function client(c: number): Promise<void> {
        const random = seededRandom(SEED + c)
        const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
        const ws = workspaces[c % WORKSPACES] as SoakWorkspace
        const invites: string[] = []
        let n = 0
        while (performance.now() < deadline) {
          n++
          // Half reads, half writes: each RL60 write budget (60 a minute) runs out within seconds, and the
          // workspace's 600 soon after on a machine fast enough.
          const roll = random()
          let request: () => Promise<HttpResult>
          let onSuccess: (res: HttpResult) => void = () => {}
          if (roll < 0.2) request = () => ws.http.get(`/users?pagination%5Bcount%5D=${1 + Math.floor(random() * 100)}`)
          else if (roll < 0.3) request = () => ws.http.get('/groups')
          else if (roll < 0.4) request = () => ws.http.get(`/users/${pick(ws.userIds)}`)
          else if (roll < 0.5) request = () => ws.http.get(`/groups/${pick(ws.groupIds)}`)
          else if (roll < 0.55) {
            request = () => ws.http.post('/groups', { name: `client-${c}-${n}` })
            onSuccess = (res) => ws.groupIds.push(res.body.data.userGroup.id)
          } else if (roll < 0.7)
            request = () => ws.http.post(`/groups/${pick(ws.groupIds)}/users`, { emails: [pick(ws.emails), pick(ws.emails)] })
          else if (roll < 0.9) {
            const email = `invite-${c}-${n}@soak.example`
            request = () => ws.http.post('/invites', { invites: [{ email }] })
            onSuccess = () => invites.push(email)
          } else if (invites.length > 0) {
            const email = invites.shift() as string
            request = async () => {
              const res = await ws.http.delete(`/invites?emails%5B0%5D=${encodeURIComponent(email)}`)
              // Not withdrawn (429): try it again later.
              if (res.status === 429) invites.push(email)
              return res
            }
          } else request = () => ws.http.get('/invites')

          const sentAt = performance.now()
          let res: HttpResult
          try {
            res = await request()
          } catch (error) {
            unexpected.push(`client ${c}: ${(error as Error).message}`)
            return
          }
          samples.push({ status: res.status, ms: performance.now() - sentAt })
          if (res.status >= 200 && res.status < 300) onSuccess(res)
          else if (res.status === 429) {
            unexpected.push(...tooManyRequestsProblems(res))
            // A client that backs off a little, as the SDK's users do, rather than spinning on 429s.
            await sleep(50 + random() * 100)
          } else unexpected.push(`${res.status} ${res.text.slice(0, 300)}`)
        }
      }

      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)))
      clearInterval(sampler)
      const seconds = (performance.now() - startedAt) / 1000
      const rssEnd = rssMb(pid)
      rssPeak = Math.max(rssPeak, rssEnd)

      const latencies = samples.map((s) => s.ms).sort((a, b) => a - b)
      const ok = samples.filter((s) => s.status < 300)
      const okLatencies = ok.map((s) => s.ms).sort((a, b) => a - b)
      const limited = samples.filter((s) => s.status === 429).length
      console.log(
        `soak: ${SOAK_SECONDS} s, ${CLIENTS} clients, ${WORKSPACES} workspaces: ${samples.length} requests (${Math.round(samples.length / seconds)} rps), ` +
          `${ok.length} 2xx, ${limited} 429; latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
          `(2xx p50 ${percentile(okLatencies, 50).toFixed(1)} ms, p99 ${percentile(okLatencies, 99).toFixed(1)} ms); ` +
          `RSS start ${rssStart.toFixed(0)} MB, end ${rssEnd.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB`,
      )

      expect(unexpected.slice(0, 20), `${unexpected.length} unexpected answers`).toEqual([])
      expect(ok.length, 'writes and reads got through').toBeGreaterThan(WORKSPACES * 100)
      expect(limited, 'the budgets ran out').toBeGreaterThan(0)
      expect(rssEnd, `RSS grew from ${rssStart.toFixed(0)} MB to ${rssEnd.toFixed(0)} MB`).toBeLessThan(rssStart + RSS_GROWTH_LIMIT_MB)
      expect((await admin.get('/healthz')).status).toBe(200)
      expect(server.output(), 'the server logged no error').not.toMatch(/"level":(50|60)/)
    },
    SOAK_SECONDS * 1000 + 120_000,
  )
})

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { queueMail } from '../../src/mail/outbox.js'
import { type Gatehouse, startGatehouse } from '../helpers/gatehouse.js'
import { type ServerProcess, spawnServer } from '../helpers/process.js'
import { logCapture, queue, resetMessage, type SmtpSink, startSmtpSink, until } from './helpers.js'

const DIST = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

// Fast enough that retries and purges happen within a test: polls every 50 ms, retries after 200 ms.
const FAST = { pollMs: 50, retryDelaysMs: [200], maxAttempts: 3, purgeEveryMs: 100 }

describe('mail delivery through SMTP', () => {
  let sink: SmtpSink
  let gh: Gatehouse
  const log = logCapture()

  beforeAll(async () => {
    sink = await startSmtpSink()
    gh = await startGatehouse({ smtpUrl: sink.url, mail: FAST, logLevel: 'info', logStream: log })
  })
  afterAll(async () => {
    await gh?.stop()
    await sink?.close()
  })
  afterEach(() => {
    sink.refusing = undefined
  })

  const message = async (id: string) => (await gh.admin.get(`/admin/outbox/${id}`)).body.data.message
  const receivedFor = (to: string) => sink.received.filter((m) => m.to && !Array.isArray(m.to) && m.to.text === to)

  it('sends a queued message once, with text and html, and the outbox shows it sent', async () => {
    const mail = resetMessage('ada@people.example')
    const id = await queue(gh, mail)
    const sent = await until(async () => {
      const m = await message(id)
      return m.status === 'sent' && m
    }, 'the message to be sent')
    expect(sent).toMatchObject({ to: 'ada@people.example', kind: 'password_reset', attempts: 1, last_error: null })
    expect(Date.parse(sent.sent_at)).toBeGreaterThanOrEqual(Date.parse(sent.created_at))
    await new Promise((resolve) => setTimeout(resolve, 300)) // a few more polls: nothing goes twice
    const got = receivedFor('ada@people.example')
    expect(got).toHaveLength(1)
    const [received] = got
    expect(received?.subject).toBe(mail.subject)
    expect(received?.from?.value).toEqual([{ name: 'Gatehouse', address: 'gatehouse@localhost' }])
    expect(received?.text?.trim()).toBe(mail.text.trim())
    expect(received?.html).toContain(`<a href="https://gatehouse.example/reset#${mail.secret}">`)
    expect(received?.messageId).toBe(`<${id}@localhost>`)
    const line = log.lines.find((l) => l.msg === 'mail to ada@people.example about password_reset sent')
    expect(line).toMatchObject({ mail: { id, to: 'ada@people.example', kind: 'password_reset' } })
    expect(log.raw.join('\n')).not.toContain(mail.secret)
  })

  it('records a refused attempt, retries it later, and gives up after the last attempt; an admin retry sends it', async () => {
    sink.refusing = '550 5.1.1 No such mailbox here'
    const mail = resetMessage('bob@people.example')
    const id = await queue(gh, mail)

    const first = await until(async () => {
      const m = await message(id)
      return m.attempts >= 1 && m.status === 'pending' && m
    }, 'the first attempt to fail')
    expect(first.last_error).toContain('550')
    expect(first.last_error).toContain('No such mailbox here')
    expect(Date.parse(first.next_attempt_at)).toBeGreaterThan(Date.parse(first.created_at))

    const failed = await until(async () => {
      const m = await message(id)
      return m.status === 'failed' && m
    }, 'the message to fail for good')
    expect(failed).toMatchObject({ attempts: 3, next_attempt_at: null, sent_at: null })
    expect(failed.last_error).toContain('550')
    expect(failed.last_error).not.toContain(mail.secret)
    const list = (await gh.admin.get('/admin/outbox?status=failed')).body.data.messages
    expect(list.map((m: { id: string }) => m.id)).toContain(id)
    expect(receivedFor('bob@people.example')).toHaveLength(0)
    expect(log.lines.filter((l) => l.mail && (l.mail as { id: string }).id === id).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^mail to bob@people\.example about password_reset not sent \(attempt 1 of 3\); next at /),
      expect.stringMatching(/^mail to bob@people\.example about password_reset not sent \(attempt 2 of 3\); next at /),
      `mail to bob@people.example about password_reset not sent after 3 attempts: gatehouse outbox show ${id}`,
    ])

    sink.refusing = undefined
    const retried = await gh.admin.post(`/admin/outbox/${id}/retry`)
    expect(retried.status).toBe(200)
    expect(retried.body.data.message).toMatchObject({ id, status: 'pending', attempts: 0 })
    const sent = await until(async () => {
      const m = await message(id)
      return m.status === 'sent' && m
    }, 'the retried message to be sent')
    expect(sent.attempts).toBe(1)
    expect(receivedFor('bob@people.example')).toHaveLength(1)
  })

  it('answers 409 to a retry of a message that has not failed, 404 to an unknown one', async () => {
    const id = await queue(gh, resetMessage('cy@people.example'))
    await until(async () => (await message(id)).status === 'sent', 'the message to be sent')
    const res = await gh.admin.post(`/admin/outbox/${id}/retry`)
    expect(res.status).toBe(409)
    expect(res.body.errors[0].message).toContain('only a failed message can be retried')
    expect((await gh.admin.post('/admin/outbox/nope/retry')).status).toBe(404)
  })

  it('takes over a message whose sending process went silent, and sends it', async () => {
    const mail = resetMessage('dee@people.example')
    const long = new Date(Date.now() - 60 * 60_000)
    // Claimed an hour ago by a process on another host that never beat again.
    const id = await gh.server.store.write(async (q) => {
      const queued = await queueMail(q, gh.server.directory.cipher, mail, long)
      await q.outbox.claim({ id: queued, status: 'pending', owner: null, heartbeat_at: null }, 'elsewhere:4242:gone', long.toISOString())
      return queued
    })
    const sent = await until(async () => {
      const m = await message(id)
      return m.status === 'sent' && m
    }, 'the abandoned message to be sent')
    expect(sent.attempts).toBe(2)
    expect(receivedFor('dee@people.example')).toHaveLength(1)
    expect(log.lines.some((l) => l.msg === 'mail claim abandoned by its process: taken over' && l.owner === 'elsewhere:4242:gone')).toBe(
      true,
    )
  })

  it('purges messages older than the retention period, keeps newer ones', async () => {
    const old = await queue(gh, resetMessage('old@people.example'), { now: new Date(Date.now() - 31 * 24 * 3_600_000) })
    const fresh = await queue(gh, resetMessage('new@people.example'))
    await until(async () => (await gh.admin.get(`/admin/outbox/${old}`)).status === 404, 'the old message to be purged')
    await until(async () => (await message(fresh)).status === 'sent', 'the fresh message to be sent')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await gh.admin.get(`/admin/outbox/${fresh}`)).status).toBe(200)
  })
})

// The second server is another process (the built one), as a second replica is: two in one process would
// share its event loop, where a SQLite writer waiting on the other's lock blocks the very thread holding it.
describe('two servers on one store', () => {
  let sink: SmtpSink
  let one: Gatehouse
  let two: ServerProcess
  const log = logCapture()

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    // A slow SMTP server: 20 messages take longer than the other process's 2 s poll, so both send.
    sink = await startSmtpSink({ delayMs: 150 })
    one = await startGatehouse({ smtpUrl: sink.url, mail: FAST, logLevel: 'info', logStream: log })
    two = await spawnServer([
      '--db',
      one.dbFile,
      ...(one.databaseUrl ? ['--database-url', one.databaseUrl] : []),
      '--smtp-url',
      sink.url,
      '--log-level',
      'info',
    ])
  })
  afterAll(async () => {
    await two?.stop()
    await one?.stop()
    await sink?.close()
  })

  it('deliver each of 20 messages exactly once', async () => {
    const mails = Array.from({ length: 20 }, (_, i) => resetMessage(`p${i}@people.example`))
    // Queued in one transaction, unannounced: both servers find them by polling.
    const ids = await one.server.store.write(async (q) => {
      const queued: string[] = []
      for (const mail of mails) queued.push(await queueMail(q, one.server.directory.cipher, mail))
      return queued
    })
    await until(
      async () => {
        const { messages } = (await one.admin.get('/admin/outbox?status=sent&pagination[count]=100')).body.data
        return ids.every((id) => messages.some((m: { id: string }) => m.id === id))
      },
      'all 20 messages to be sent',
      20_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const received = sink.received.map((m) => m.messageId).filter((id) => ids.some((mine) => id === `<${mine}@localhost>`))
    expect(received).toHaveLength(20)
    expect(new Set(received).size).toBe(20)
    const sentByOne = log.lines.filter((l) => / sent$/.test(l.msg)).length
    const sentByTwo = two
      .output()
      .split('\n')
      .filter((line) => /"msg":"mail to \S+ about password_reset sent"/.test(line)).length
    expect(sentByOne + sentByTwo).toBe(20)
    expect(sentByOne).toBeGreaterThan(0)
    expect(sentByTwo).toBeGreaterThan(0)
  })
})

describe('stopping', () => {
  it('lets a send under way finish and records it', async () => {
    const sink = await startSmtpSink({ delayMs: 500 })
    const gh = await startGatehouse({ smtpUrl: sink.url, mail: FAST })
    let after: Gatehouse | undefined
    try {
      const id = await queue(gh, resetMessage('hal@people.example'))
      await until(async () => (await gh.server.store.read((q) => q.outbox.find(id)))?.status === 'sending', 'the send to begin')
      await gh.server.stop()
      expect(sink.received).toHaveLength(1)
      after = await startGatehouse({ dbFile: gh.dbFile, ...(gh.databaseUrl ? { databaseUrl: gh.databaseUrl } : {}) })
      expect((await after.admin.get(`/admin/outbox/${id}`)).body.data.message).toMatchObject({ status: 'sent', attempts: 1 })
    } finally {
      await after?.stop()
      await gh.stop()
      await sink.close()
    }
  })
})

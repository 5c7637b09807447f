import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliInProcess } from '../helpers/cli.js'
import { type Gatehouse, HttpClient, startGatehouse } from '../helpers/gatehouse.js'
import { logCapture, queue, resetMessage, until } from './helpers.js'

describe('the outbox without SMTP', () => {
  let gh: Gatehouse
  const log = logCapture()
  const mail = resetMessage('erin@people.example')
  let id: string

  beforeAll(async () => {
    gh = await startGatehouse({ mail: { pollMs: 50 }, logLevel: 'info', logStream: log })
    id = await queue(gh, mail)
  })
  afterAll(() => gh?.stop())

  const waitingLine = (messageId: string) => async () => log.lines.find((l) => (l.mail as { id?: string } | undefined)?.id === messageId)

  it('logs one line naming the recipient and the kind, never the body', async () => {
    const line = await until(waitingLine(id), 'the waiting line')
    expect(line).toMatchObject({
      level: 30,
      msg: `mail to erin@people.example about password_reset is waiting in the outbox (no --smtp-url): gatehouse outbox show ${id}`,
      mail: { id, to: 'erin@people.example', kind: 'password_reset' },
    })
    await new Promise((resolve) => setTimeout(resolve, 200)) // more polls: announced once
    expect(log.lines.filter((l) => (l.mail as { id?: string } | undefined)?.id === id)).toHaveLength(1)
    const all = log.raw.join('\n')
    expect(all).not.toContain(mail.secret)
    expect(all).not.toContain('gatehouse.example/reset')
    expect(all).not.toContain(mail.subject)
  })

  it('announces a message queued elsewhere (no poke) at the next poll', async () => {
    const other = await queue(gh, resetMessage('fred@people.example'), { poke: false })
    const line = await until(waitingLine(other), 'the waiting line of a message nobody poked about')
    expect(line.msg).toContain('mail to fred@people.example about password_reset is waiting')
  })

  it('keeps the body sealed in the store', async () => {
    const row = await gh.server.store.read((q) => q.outbox.find(id))
    expect(row?.status).toBe('pending')
    expect(row?.body_sealed).toMatch(/^v1\./)
    expect(row?.body_sealed).not.toContain(mail.secret)
    expect(JSON.stringify(row)).not.toContain(mail.secret)
  })

  it('lists messages for the operator without bodies, newest first, paginated', async () => {
    const res = await gh.admin.get('/admin/outbox?pagination[count]=1')
    expect(res.status).toBe(200)
    const [newest] = res.body.data.messages
    expect(Object.keys(newest).sort()).toEqual(
      ['attempts', 'created_at', 'id', 'kind', 'last_error', 'next_attempt_at', 'sent_at', 'status', 'subject', 'to'].sort(),
    )
    expect(res.body.data.pagination.totalEntries).toBeGreaterThanOrEqual(2)
    const next = await gh.admin.get(`/admin/outbox?pagination[count]=100&pagination[cursor]=${res.body.data.pagination.next}`)
    const ids = [newest.id, ...next.body.data.messages.map((m: { id: string }) => m.id)]
    expect(ids).toContain(id)
    expect(ids).toEqual([...ids].sort().reverse())
    expect(res.text + next.text).not.toContain(mail.secret)
    const first = next.body.data.messages.find((m: { id: string }) => m.id === id)
    expect(first).toMatchObject({
      to: 'erin@people.example',
      kind: 'password_reset',
      subject: mail.subject,
      status: 'pending',
      attempts: 0,
    })
  })

  it('shows one message with its body to the operator', async () => {
    const res = await gh.admin.get(`/admin/outbox/${id}`)
    expect(res.status).toBe(200)
    expect(res.body.data.message).toMatchObject({ id, to: 'erin@people.example', status: 'pending', text: mail.text, html: mail.html })
    expect((await gh.admin.get('/admin/outbox/nope')).status).toBe(404)
  })

  it('keeps the outbox behind the admin key, and documents it', async () => {
    expect((await new HttpClient(gh.url, 'wrong').get(`/admin/outbox/${id}`)).status).toBe(401)
    expect((await new HttpClient(gh.url, undefined).get('/admin/outbox')).status).toBe(401)
    const paths = (await gh.admin.get('/openapi.json')).body.paths
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/admin/outbox', '/admin/outbox/{messageId}', '/admin/outbox/{messageId}/retry']),
    )
    expect(
      paths['/admin/outbox/{messageId}'].get.responses['200'].content['application/json'].schema.properties.data.properties.message
        .required,
    ).toEqual(expect.arrayContaining(['to', 'kind', 'text', 'html']))
  })

  it('sums up, at start, the messages already waiting', async () => {
    const again = logCapture()
    const other = await startGatehouse({
      dbFile: gh.dbFile,
      ...(gh.databaseUrl ? { databaseUrl: gh.databaseUrl } : {}),
      mail: { pollMs: 50 },
      logLevel: 'info',
      logStream: again,
    })
    try {
      const line = await until(() => again.lines.find((l) => /waiting in the outbox/.test(l.msg)), 'the summary line')
      expect(line.msg).toMatch(/^\d+ messages are waiting in the outbox \(no --smtp-url\): gatehouse outbox$/)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(again.lines.filter((l) => /waiting in the outbox/.test(l.msg))).toHaveLength(1)
    } finally {
      await other.stop()
    }
  })

  describe('gatehouse outbox', () => {
    const cli = (...args: string[]) =>
      runCliInProcess([...args, '--db', gh.dbFile, ...(gh.databaseUrl ? ['--database-url', gh.databaseUrl] : [])])

    it('lists messages, without bodies', async () => {
      const res = await cli('outbox')
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      const [header, ...rows] = res.stdout.trimEnd().split('\n')
      expect(header).toMatch(/^ID\s+STATUS\s+TO\s+KIND\s+ATTEMPTS\s+CREATED\s+LAST ERROR$/)
      expect(rows.find((r) => r.startsWith(id))).toMatch(
        new RegExp(`^${id}\\s+pending\\s+erin@people\\.example\\s+password_reset\\s+0\\s+\\S+\\s+-$`),
      )
      expect(res.stdout).not.toContain(mail.secret)

      const json = await cli('outbox', '--json', '--status', 'pending')
      const parsed = JSON.parse(json.stdout)
      expect(parsed.messages.find((m: { id: string }) => m.id === id)).toMatchObject({ to: 'erin@people.example', status: 'pending' })
      expect(json.stdout).not.toContain(mail.secret)
    })

    it('shows one message with its text body', async () => {
      const res = await cli('outbox', 'show', id)
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      expect(res.stdout).toContain(`Message ${id}\nTo:         erin@people.example\nKind:       password_reset\n`)
      expect(res.stdout).toContain('Status:     pending (0 attempts)\n')
      expect(res.stdout).toContain(`\n\n${mail.text.trimEnd()}\n`)

      const json = JSON.parse((await cli('outbox', 'show', id, '--json')).stdout)
      expect(json.message).toMatchObject({ id, text: mail.text, html: mail.html })
    })

    it('escapes control characters of a body for the terminal', async () => {
      const hostile = await queue(gh, { ...resetMessage('gil@people.example'), text: 'line one\n\u001b[2Jline two\u202e' })
      const res = await cli('outbox', 'show', hostile)
      expect(res.stdout).toContain('\n\nline one\n\\u001b[2Jline two\\u202e\n')
    })

    it('exits 2 on bad arguments, 1 for an unknown message', async () => {
      expect((await cli('outbox', 'show')).code).toBe(2)
      expect((await cli('outbox', '--limit', '0')).code).toBe(2)
      expect((await cli('outbox', '--status', 'lost')).code).toBe(2)
      const unknown = await cli('outbox', 'show', 'nope')
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toBe('error: Message nope not found\n')
      const notFailed = await cli('outbox', 'retry', id)
      expect(notFailed.code).toBe(1)
      expect(notFailed.stderr).toContain('only a failed message can be retried')
    })
  })
})

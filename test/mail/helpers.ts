import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { LogStream } from '../../src/app.js'
import { type MailMessage, queueMail } from '../../src/mail/outbox.js'
import type { Gatehouse } from '../helpers/gatehouse.js'

/** A real SMTP server on loopback that keeps what it is sent, or refuses recipients while `refusing` is set. */
export interface SmtpSink {
  url: string
  received: ParsedMail[]
  /** The SMTP answer to every RCPT TO while set, e.g. `550 5.1.1 No such mailbox here`. */
  refusing: string | undefined
  close(): Promise<void>
}

export async function startSmtpSink(options: { delayMs?: number } = {}): Promise<SmtpSink> {
  const sink: SmtpSink = {
    url: '',
    received: [],
    refusing: undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(_address, _session, callback) {
      if (sink.refusing === undefined) return callback()
      const [, code, text] = /^(\d{3}) (.*)$/.exec(sink.refusing) ?? []
      callback(Object.assign(new Error(text), { responseCode: Number(code) }))
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        async (mail) => {
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
          sink.received.push(mail)
          callback()
        },
        (error: Error) => callback(error),
      )
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`
  return sink
}

/** Log lines as the server writes them (JSON), for assertions. */
export function logCapture(): LogStream & { lines: { level: number; msg: string; [key: string]: unknown }[]; raw: string[] } {
  const raw: string[] = []
  return {
    raw,
    get lines() {
      return raw.map((line) => JSON.parse(line))
    },
    write(line: string) {
      raw.push(line)
    },
  }
}

export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let sequence = 0

/** A message with a secret link and code in its body, distinct per call. */
export function resetMessage(to: string): MailMessage & { secret: string } {
  const secret = `S3cr3t${++sequence}x${Math.random().toString(36).slice(2, 10)}`
  return {
    to,
    kind: 'password_reset',
    subject: 'Reset your Gatehouse password',
    text: `Hello,\n\nReset your password: https://gatehouse.example/reset#${secret}\nOr type the code ${secret}.\n`,
    html: `<p>Hello,</p><p><a href="https://gatehouse.example/reset#${secret}">Reset your password</a> or type the code <b>${secret}</b>.</p>`,
    secret,
  }
}

/** Queues as a route would: in a write of the server's store, then pokes its mailer. */
export async function queue(gh: Gatehouse, message: MailMessage, options: { poke?: boolean; now?: Date } = {}): Promise<string> {
  const { store, directory } = gh.server
  const id = await store.write((q) => queueMail(q, directory.cipher, message, options.now))
  if (options.poke !== false) gh.server.mailer.poke()
  return id
}

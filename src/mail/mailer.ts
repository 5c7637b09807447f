import type { CredentialCipher } from '../auth/credentials.js'
import type { MailConfig } from '../config.js'
import type { Store } from '../store/store.js'
import { OutboxAnnouncer } from './announce.js'
import { DEFAULT_DELIVERY_OPTIONS, type DeliveryOptions, MailDelivery, type MailLog } from './deliver.js'

export interface MailOptions extends DeliveryOptions {
  /** Messages (sent, failed or never sent) are deleted this long after they were queued. */
  retentionMs: number
  /** How often old messages are looked for. */
  purgeEveryMs: number
}

export const DEFAULT_MAIL_OPTIONS: MailOptions = {
  ...DEFAULT_DELIVERY_OPTIONS,
  retentionMs: 30 * 24 * 3_600_000,
  purgeEveryMs: 3_600_000,
}

/** A serve process's mail: it delivers the outbox when --smtp-url is set, else announces what waits in it. */
export interface Mailer {
  start(): void
  /** Looks at the outbox now: call it once a message is queued, so it goes out (or is announced) at once. */
  poke(): void
  stop(): Promise<void>
}

export function createMailer(
  deps: { store: Store; cipher: CredentialCipher; config: MailConfig; log: MailLog },
  overrides: Partial<MailOptions> = {},
): Mailer {
  const { store, cipher, config, log } = deps
  const options = { ...DEFAULT_MAIL_OPTIONS, ...overrides }
  const worker = config.smtpUrl
    ? new MailDelivery(store, cipher, { smtpUrl: config.smtpUrl, from: config.from }, log, options)
    : new OutboxAnnouncer(store, log, options.pollMs)
  let purgeTimer: NodeJS.Timeout | undefined
  const purge = () =>
    store
      .write((q) => q.outbox.purge(new Date(q.clock.ms() - options.retentionMs).toISOString()))
      .then(
        (n) =>
          n > 0 &&
          log.info({ mail: { purged: n } }, `${n} message${n === 1 ? '' : 's'} older than the retention period removed from the outbox`),
      )
      .catch((error) => log.warn({ err: error }, 'outbox purge failed'))
  const mailer: Mailer = {
    start() {
      if (purgeTimer) return
      worker.start()
      void purge()
      purgeTimer = setInterval(() => void purge(), options.purgeEveryMs)
      purgeTimer.unref()
    },
    poke: () => worker.poke(),
    async stop() {
      clearInterval(purgeTimer)
      await worker.stop()
    },
  }
  return mailer
}

import type { CredentialCipher } from '../auth/credentials.js'
import type { InvitationSender } from '../iam/operations/invitations.js'
import type { Store } from '../store/store.js'
import type { LimiterFactory } from '../wire/rate-limit.js'
import { CsrfTokens } from './csrf.js'
import { invitationSender } from './invitations.js'
import { dummyHash } from './passwords.js'
import { PublicSite } from './site.js'
import { Throttle, type ThrottleLimits } from './throttle.js'

/** What sign-in, sessions and links run on; built once per server (server.ts) and handed to the routes. */
export interface AccountsContext {
  store: Store
  /** Seals queued mail (the directory's credential cipher). */
  cipher: CredentialCipher
  site: PublicSite
  throttle: Throttle
  csrf: CsrfTokens
  /**
   * Called once a change that queued mail has committed, so the server's mailer sends (or announces) it at
   * once rather than at its next poll. The server connects it to its mailer; until then it does nothing.
   */
  mailQueued: () => void
  /** Mails the invites IAM operations create (a link each); callers call `mailQueued` after their commit. */
  invitations: InvitationSender
}

export function createAccountsContext(options: {
  store: Store
  cipher: CredentialCipher
  publicUrl: string | undefined
  limiters: LimiterFactory
  limits?: ThrottleLimits
}): AccountsContext {
  // Made now, not at the first sign-in for an unknown email, which would take twice as long as the others.
  void dummyHash()
  const site = new PublicSite(options.publicUrl)
  return {
    store: options.store,
    cipher: options.cipher,
    site,
    throttle: new Throttle(options.limiters, options.limits),
    csrf: new CsrfTokens(options.store.secret),
    mailQueued: () => {},
    invitations: invitationSender({ cipher: options.cipher, site }),
  }
}

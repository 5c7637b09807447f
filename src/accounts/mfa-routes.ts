import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatusOutput } from '../iam/schemas/common.js'
import { confirmTotp, disableMfa, mfaStatus, regenerateRecoveryCodes, startTotp, verifySession } from './mfa.js'
import {
  DisableMfaBody,
  MfaStatusOutput,
  RecoveryCodesOutput,
  RegenerateCodesBody,
  TotpConfirmBody,
  TotpConfirmOutput,
  TotpStartOutput,
  VerifiedOutput,
  VerifySessionBody,
} from './mfa-schemas.js'
import type { ConsoleDeps } from './routes.js'
import { SIGNED_IN_ROUTE } from './schemas.js'
import { clientOf } from './sessions.js'

const session = SIGNED_IN_ROUTE

/** MFA of the signed-in person (My account) and the step-up of a session. */
export const mfaRoutes: FastifyPluginAsyncTypebox<ConsoleDeps> = async (app, { accounts }) => {
  const { store } = accounts

  app.get(
    '/account/mfa',
    {
      schema: {
        ...session,
        description: "The signed-in person's MFA: on or off, and how many recovery codes are left.",
        response: { 200: MfaStatusOutput },
      },
    },
    async (req) => ({ data: { mfa: await store.read((q) => mfaStatus(q, req.signedIn.accountId)) } }),
  )

  app.post(
    '/account/mfa/totp',
    {
      schema: {
        ...session,
        description:
          'Starts setting up a TOTP authenticator: a new secret (kept sealed, pending until confirmed), its otpauth:// URI and QR code. Starting again replaces a pending secret; 409 while MFA is on.',
        response: { 200: TotpStartOutput },
      },
    },
    async (req) => ({ data: { totp: await startTotp(accounts, req.signedIn) } }),
  )

  app.post(
    '/account/mfa/totp/confirm',
    {
      schema: {
        ...session,
        description:
          "Turns MFA on with a first code from the pending secret: answers 10 recovery codes (shown once), marks this session as having passed MFA, and ends the account's other sessions. A wrong code is a 422 (`field: code`) and counts against the email's sign-in budget.",
        body: TotpConfirmBody,
        response: { 200: TotpConfirmOutput },
      },
    },
    async (req) => ({ data: await confirmTotp(accounts, req.signedIn, req.body.code, clientOf(req)) }),
  )

  app.delete(
    '/account/mfa/totp',
    {
      schema: {
        ...session,
        description:
          'Turns MFA off: forgets the authenticator and the recovery codes. Needs the current password (422 `field: currentPassword`).',
        body: DisableMfaBody,
        response: { 200: StatusOutput },
      },
    },
    async (req) => {
      await disableMfa(accounts, req.signedIn, req.body.currentPassword, clientOf(req))
      return { data: { status: 'SUCCESS' as const } }
    },
  )

  app.post(
    '/account/mfa/recovery-codes',
    {
      schema: {
        ...session,
        description: 'Replaces the recovery codes with 10 new ones (shown once) for a code from the authenticator app.',
        body: RegenerateCodesBody,
        response: { 200: RecoveryCodesOutput },
      },
    },
    async (req) => ({ data: { recoveryCodes: await regenerateRecoveryCodes(accounts, req.signedIn, req.body.totpCode, clientOf(req)) } }),
  )

  app.post(
    '/session/mfa',
    {
      schema: {
        ...session,
        description:
          'Step-up: this session passes MFA with a TOTP code or a recovery code (for a session that began with a link, or before MFA was set up), which opens workspaces that require MFA. A wrong code is a 422 and counts against the sign-in budget.',
        body: VerifySessionBody,
        response: { 200: VerifiedOutput },
      },
    },
    async (req) => ({
      data: { mfa: { enabled: true, passedAt: await verifySession(accounts, req.signedIn, req.body, clientOf(req)) } },
    }),
  )
}

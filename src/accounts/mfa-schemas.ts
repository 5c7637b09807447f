import { Type } from '@sinclair/typebox'
import { data, Email } from '../iam/schemas/common.js'
import { MAX_PASSWORD_LENGTH } from './passwords.js'
import { RecoveryCode, TotpCode } from './schemas.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const MfaStatusOutput = data({
  mfa: Type.Object({
    enabled: Type.Boolean(),
    enabledAt: Nullable(Type.String()),
    recoveryCodesLeft: Type.Integer({ description: 'Unused recovery codes (0 while MFA is off)' }),
  }),
})

export const TotpStartOutput = data({
  totp: Type.Object({
    secret: Type.String({ description: 'The secret in base32, for typing into an authenticator app by hand' }),
    uri: Type.String({ description: 'The otpauth:// URI the QR code holds (issuer Gatehouse, label the email)' }),
    qr: Type.Array(Type.String(), { description: "The QR code's modules, one string per row, '1' dark and '0' light" }),
  }),
})

export const TotpConfirmBody = Type.Object({ code: TotpCode }, { additionalProperties: false })
export const RecoveryCodesOutput = data({
  recoveryCodes: Type.Array(Type.String(), { description: 'Shown this once: only their hashes are kept. Each works once.' }),
})
export const TotpConfirmOutput = data({
  recoveryCodes: Type.Array(Type.String(), { description: 'Shown this once: only their hashes are kept. Each works once.' }),
  endedSessions: Type.Integer({ description: "The account's other sessions, ended (they began without MFA)" }),
})

export const DisableMfaBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
)
export const RegenerateCodesBody = Type.Object({ totpCode: TotpCode }, { additionalProperties: false })
export const VerifySessionBody = Type.Object(
  { totpCode: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) },
  { additionalProperties: false },
)
export const VerifiedOutput = data({ mfa: Type.Object({ enabled: Type.Boolean(), passedAt: Type.String() }) })

export const AuthenticationSettings = data({
  authentication: Type.Object({
    requireMfa: Type.Boolean({ description: 'Every session must have passed MFA to enter the workspace in the console' }),
  }),
  /** The asking owner's own MFA: Require MFA can be turned on only by a session that has passed it. */
  you: Type.Object({ mfaEnabled: Type.Boolean(), sessionPassed: Type.Boolean() }),
})
export const AuthenticationSettingsBody = Type.Object({ requireMfa: Type.Boolean() }, { additionalProperties: false })

export const AccountEmailParams = Type.Object({ email: Email })
export const MfaResetOutput = data({
  hadMfa: Type.Boolean(),
  endedSessions: Type.Integer(),
  messageId: Type.String({ description: 'The outbox message telling the person' }),
})

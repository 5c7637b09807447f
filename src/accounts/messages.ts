import type { MailMessage } from '../mail/outbox.js'

/** What a link mail needs: who it goes to, the link, and how long the link lasts. */
export interface LinkMail {
  to: string
  name: string
  url: string
  /** How long the link works, in words ("1 hour", "7 days"). */
  validFor: string
}

/** Mail with a link to choose a first password (new members and new instance admins). */
export function setPasswordMessage(mail: LinkMail): MailMessage {
  const lines = [
    `${greeting(mail.name)},`,
    '',
    'An account on Gatehouse was made for this email address. Choose a password to sign in:',
    '',
    mail.url,
    '',
    `The link works once, for ${mail.validFor}. If it has expired, ask for a new one on the sign-in page ("Forgot your password?").`,
    'If you did not expect this message, you can ignore it.',
  ]
  return build(mail, 'set_password', 'Choose your Gatehouse password', lines, 'Choose a password')
}

/** Mail with a link to choose a new password after "Forgot your password?". */
export function resetPasswordMessage(mail: LinkMail): MailMessage {
  const lines = [
    `${greeting(mail.name)},`,
    '',
    'Someone (we hope you) asked to reset the password of your Gatehouse account. Choose a new password here:',
    '',
    mail.url,
    '',
    `The link works once, for ${mail.validFor}. Choosing a new password signs you out everywhere else.`,
    'If you did not ask for this, ignore this message: your password stays as it is.',
  ]
  return build(mail, 'password_reset', 'Reset your Gatehouse password', lines, 'Choose a new password')
}

/** What a security-code mail names: the code, the workspace it is for, and how long it works. */
export interface SecurityCodeMail {
  to: string
  name: string
  code: string
  workspaceName: string
  validFor: string
}

/** Mail with the 6-digit code that confirms creating a Public API token (Segment's "security code" step). */
export function securityCodeMessage(mail: SecurityCodeMail): MailMessage {
  const lines = [
    `${greeting(mail.name)},`,
    '',
    `Your security code to create a Public API token in the workspace "${mail.workspaceName}" is:`,
    '',
    mail.code,
    '',
    `It works once, for ${mail.validFor}. Enter it in the Create Token dialog.`,
    'If you did not try to create a token, do not share this code, and change your password.',
  ]
  // No link in this mail: an empty url never matches a line, so `build` renders every line as text.
  return build(
    { to: mail.to, name: mail.name, url: '', validFor: mail.validFor },
    'security_code',
    'Your Gatehouse security code',
    lines,
    '',
  )
}

/** What an invitation mail names: the workspace and, when a person invited (not a token or the operator), who. */
export interface InvitationMail extends LinkMail {
  workspaceName: string
  inviter: { name: string; email: string } | undefined
}

/** Mail with the link that accepts an invitation to a workspace. */
export function invitationMessage(mail: InvitationMail): MailMessage {
  const who = mail.inviter ? `${mail.inviter.name.trim() || mail.inviter.email} (${mail.inviter.email}) invited you` : 'You are invited'
  const lines = [
    'Hello,',
    '',
    `${who} to join the workspace "${mail.workspaceName}" on Gatehouse. Accept the invitation here:`,
    '',
    mail.url,
    '',
    `The link works once, for ${mail.validFor}. If it has expired, open it anyway to ask for a new one.`,
    'If you did not expect this message, you can ignore it.',
  ]
  return build(mail, 'invitation', `Join ${mail.workspaceName} on Gatehouse`, lines, 'Accept the invitation')
}

/** Notice that an instance admin reset the person's MFA (no secret in it: the link is the sign-in page). */
export function mfaResetMessage(mail: Omit<LinkMail, 'validFor'>): MailMessage {
  const lines = [
    `${greeting(mail.name)},`,
    '',
    'An administrator of this Gatehouse server reset the multi-factor authentication of your account: your authenticator app and recovery codes no longer work, and every session was signed out.',
    'Sign in with your password, then set up multi-factor authentication again in My account:',
    '',
    mail.url,
    '',
    'If you did not ask for this, tell your administrator at once.',
  ]
  return build({ ...mail, validFor: '' }, 'mfa_reset', 'Your Gatehouse multi-factor authentication was reset', lines, 'Sign in')
}

function greeting(name: string): string {
  return name.trim() === '' ? 'Hello' : `Hello ${name.trim()}`
}

/** The text body is the lines; the HTML body is the same lines, escaped, with the link as a button. */
export function build(mail: LinkMail, kind: string, subject: string, lines: string[], button: string): MailMessage {
  const html = lines
    .filter((line) => line !== '')
    .map((line) =>
      line === mail.url
        ? `<p><a href="${escapeHtml(mail.url)}" style="display:inline-block;padding:10px 16px;background:#1a56db;color:#fff;border-radius:4px;text-decoration:none">${escapeHtml(button)}</a></p>\n<p style="font-size:12px;color:#555">Or paste this address into your browser: ${escapeHtml(mail.url)}</p>`
        : `<p>${escapeHtml(line)}</p>`,
    )
    .join('\n')
  return {
    to: mail.to,
    kind,
    subject,
    text: `${lines.join('\n')}\n`,
    html: `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5">\n${html}\n</body></html>\n`,
  }
}

/** Every interpolated value goes through this: names and addresses come from other people. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

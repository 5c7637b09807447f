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

function greeting(name: string): string {
  return name.trim() === '' ? 'Hello' : `Hello ${name.trim()}`
}

/** The text body is the lines; the HTML body is the same lines, escaped, with the link as a button. */
function build(mail: LinkMail, kind: string, subject: string, lines: string[], button: string): MailMessage {
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

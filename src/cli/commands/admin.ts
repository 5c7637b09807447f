import { Command } from 'commander'
import { addInstanceAdmin, removeInstanceAdmin, toInstanceAdmin } from '../../accounts/accounts.js'
import { OPERATOR_CLIENT } from '../../accounts/events.js'
import { listenUrl, PublicSite } from '../../accounts/site.js'
import { resolveServeConfig } from '../../config.js'
import { NotFoundError } from '../../errors.js'
import { databaseUrlOption, dbOption, jsonOption, type StoreFlags, UsageError, usage } from '../program.js'
import { output, withDirectory, withStore } from '../store.js'
import { oneLine } from '../terminal.js'
import { isEmail } from '../validate.js'

type Flags = StoreFlags & { json?: boolean }

function checkEmail(email: string): void {
  if (!isEmail(email)) throw new UsageError(`${email} is not an email address`)
}

export function adminCommand(): Command {
  const cmd = new Command('admin').description('manage instance admins: the people who run this server')
  cmd
    .command('add')
    .description('make an email an instance admin (with an account if it has none; a set-password link is queued if it has no password)')
    .argument('<email>', 'email address')
    .option(
      '--public-url <url>',
      'the address people reach the server at, for the link (env GATEHOUSE_PUBLIC_URL; default: where serve listens)',
    )
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (email: string, o: Flags & { publicUrl?: string }) => {
      checkEmail(email)
      const config = usage(() =>
        resolveServeConfig({
          ...(o.db === undefined ? {} : { db: o.db }),
          ...(o.databaseUrl === undefined ? {} : { databaseUrl: o.databaseUrl }),
          ...(o.publicUrl === undefined ? {} : { publicUrl: o.publicUrl }),
        }),
      )
      const site = new PublicSite(config.mail.publicUrl)
      site.listeningOn(listenUrl(config.host, config.port))
      const { account, messageId } = await withDirectory(o, (ctx) =>
        ctx.store.write((q) => addInstanceAdmin(q, { cipher: ctx.cipher, site }, email, OPERATOR_CLIENT, new Date())),
      )
      const lines = [`${oneLine(account.email)} is an instance admin (account ${account.id}).`]
      if (messageId === undefined) lines.push('They sign in with their password.')
      else {
        lines.push(
          `A link to choose a password (valid 7 days) was queued for ${oneLine(account.email)}: message ${messageId}.`,
          `Without an SMTP server (--smtp-url), read it with: gatehouse outbox show ${messageId}`,
        )
        if (!site.isConfigured)
          lines.push(`The link points to ${site.url}; set --public-url (GATEHOUSE_PUBLIC_URL) to the address people use.`)
      }
      output(
        o.json,
        { instanceAdmin: toInstanceAdmin(account), linkQueued: messageId !== undefined, messageId: messageId ?? null },
        lines.join('\n'),
      )
    })
  cmd
    .command('list')
    .description('list instance admins')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: Flags) => {
      const admins = (await withStore(o, (store) => store.read((q) => q.accounts.instanceAdmins()))).map(toInstanceAdmin)
      const text = admins.length
        ? admins.map((a) => `${oneLine(a.email)}\t${a.id}\t${a.hasPassword ? 'password set' : 'no password yet'}`).join('\n')
        : 'No instance admins. Add one: gatehouse admin add EMAIL'
      output(o.json, { instanceAdmins: admins }, text)
    })
  cmd
    .command('remove')
    .description('take instance admin away from an email (the account and its workspaces stay)')
    .argument('<email>', 'email address')
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (email: string, o: Flags) => {
      checkEmail(email)
      const removed = await withStore(o, (store) =>
        store.write((q) => removeInstanceAdmin(q, email, OPERATOR_CLIENT, new Date().toISOString())),
      )
      if (!removed) throw new NotFoundError(`Instance admin ${email}`)
      output(o.json, { status: 'SUCCESS', email }, `${oneLine(email)} is no longer an instance admin.`)
    })
  return cmd
}

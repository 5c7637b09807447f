import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NotFoundError } from '../errors.js'
import { data, StatusOutput } from '../iam/schemas/common.js'
import { addInstanceAdmin, removeInstanceAdmin, toInstanceAdmin } from './accounts.js'
import type { AccountsContext } from './context.js'
import { OPERATOR_CLIENT } from './events.js'
import { resetMfa } from './mfa.js'
import { AccountEmailParams, MfaResetOutput } from './mfa-schemas.js'
import { AddInstanceAdminBody, InstanceAdmin, InstanceAdminAdded, InstanceAdminParams } from './schemas.js'

/** Operator API (under /admin, behind the admin key): who runs this server. */
export const instanceAdminRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountsContext }> = async (app, { accounts }) => {
  const { store } = accounts

  app.post('/instance-admins', { schema: { body: AddInstanceAdminBody, response: { 201: InstanceAdminAdded } } }, async (req, reply) => {
    const added = await store.write((q) => addInstanceAdmin(q, accounts, req.body.email, OPERATOR_CLIENT, q.clock.now()))
    const { account, messageId } = added
    if (messageId !== undefined) accounts.mailQueued()
    return reply
      .status(201)
      .send({ data: { instanceAdmin: toInstanceAdmin(account), linkQueued: messageId !== undefined, messageId: messageId ?? null } })
  })

  app.get('/instance-admins', { schema: { response: { 200: data({ instanceAdmins: Type.Array(InstanceAdmin) }) } } }, async () => ({
    data: { instanceAdmins: (await store.read((q) => q.accounts.instanceAdmins())).map(toInstanceAdmin) },
  }))

  app.post(
    '/accounts/:email/mfa-reset',
    {
      schema: {
        description:
          "Resets a person's MFA (lost authenticator and recovery codes): forgets both, ends every session of theirs, logs it in their security log and mails them a notice. 404 when the email has no account.",
        params: AccountEmailParams,
        response: { 200: MfaResetOutput },
      },
    },
    async (req) => {
      const reset = await store.write((q) => resetMfa(q, accounts, req.params.email, 'operator', OPERATOR_CLIENT, q.clock.now()))
      if (!reset) throw new NotFoundError(`Account ${req.params.email}`, 'email')
      accounts.mailQueued()
      return { data: reset }
    },
  )

  app.delete('/instance-admins/:email', { schema: { params: InstanceAdminParams, response: { 200: StatusOutput } } }, async (req) => {
    const removed = await store.write((q) => removeInstanceAdmin(q, req.params.email, OPERATOR_CLIENT, q.clock.now().toISOString()))
    if (!removed) throw new NotFoundError(`Instance admin ${req.params.email}`, 'email')
    return { data: { status: 'SUCCESS' as const } }
  })
}

import { useEffect, useRef, useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { ConfirmDialog } from '../../components/confirm-dialog'
import { shownValue, useLoaded } from '../../components/loaded'
import { Loading, ProblemNotice } from '../../components/page'
import { formatDate, plural } from '../../format'
import { useSignedIn } from '../../session'

type Detail = Answer<'/console/api/instance/accounts/{accountId}', 'get'>['account']
type SecurityEvent = Detail['recentEvents'][number]

/** "mfa_reset" as words, and who did it when it was someone else. */
function describeEvent(event: SecurityEvent): string {
  const words = event.type.replace(/_/g, ' ').replace(/\bmfa\b/, 'MFA')
  const sentence = words.charAt(0).toUpperCase() + words.slice(1)
  const by = event.detail.by
  return typeof by === 'string' ? `${sentence} (by ${by === 'operator' ? 'the operator' : by})` : sentence
}

/**
 * An account's detail panel on the Accounts page: workspaces, MFA, live sessions and the latest security events;
 * resetting MFA and the instance admin flag, each after a question.
 */
export function AccountDetail({ accountId, onClose, onChanged }: { accountId: string; onClose: () => void; onChanged: () => void }) {
  const you = useSignedIn().account
  const [asking, setAsking] = useState<'mfa' | 'admin'>()
  const [done, setDone] = useState<string>()
  const [reloads, setReloads] = useState(0)
  const heading = useRef<HTMLHeadingElement>(null)
  const path = { accountId }
  // After a change (`reloads`) the account stays shown until the new answer.
  const state = useLoaded(
    async () => (await must(api.GET('/console/api/instance/accounts/{accountId}', { params: { path } }))).account,
    [accountId, reloads],
  )
  const account = shownValue(state)
  useEffect(() => {
    if (state.status === 'ready' && reloads === 0) heading.current?.focus()
  }, [state.status, reloads])

  if (state.status === 'failed') return <ProblemNotice problem={state.problem} />
  if (!account) return <Loading label="Loading the account…" />
  const who = account.name || account.email
  const yourself = account.id === you.id
  const changed = (message: string) => {
    setAsking(undefined)
    setDone(message)
    setReloads((n) => n + 1)
    onChanged()
  }

  return (
    <section className="card user-detail" aria-labelledby="account-detail-heading">
      <div className="card-header user-detail-header">
        <div>
          <h2 id="account-detail-heading" className="card-title" ref={heading} tabIndex={-1}>
            {who}
            {account.instanceAdmin && <span className="badge badge-current">Instance admin</span>}
          </h2>
          <p className="card-description">{account.email}</p>
        </div>
        <div className="toolbar-buttons">
          {!yourself && (
            <button type="button" className="btn btn-danger" onClick={() => setAsking('mfa')}>
              Reset MFA
            </button>
          )}
          {!(yourself && account.instanceAdmin) && (
            <button type="button" className="btn" onClick={() => setAsking('admin')}>
              {account.instanceAdmin ? 'Remove instance admin' : 'Make instance admin'}
            </button>
          )}
          <button type="button" className="btn btn-quiet" onClick={onClose}>
            Close<span className="visually-hidden"> the details of {account.email}</span>
          </button>
        </div>
      </div>
      <div className="card-body">
        {done && (
          <p className="notice notice-success" role="status">
            {done}
          </p>
        )}
        <dl className="facts">
          <div>
            <dt>Password</dt>
            <dd>{account.hasPassword ? 'Set' : 'Not set yet'}</dd>
          </div>
          <div>
            <dt>MFA</dt>
            <dd>
              {account.mfa.enabled && account.mfa.enabledAt
                ? `On since ${formatDate(account.mfa.enabledAt)}, ${plural(account.mfa.recoveryCodesLeft, 'recovery code')} left`
                : 'Off'}
            </dd>
          </div>
          <div>
            <dt>Live sessions</dt>
            <dd>{account.liveSessions}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDate(account.createdAt)}</dd>
          </div>
        </dl>
        <h3 className="user-detail-subtitle">Workspaces</h3>
        {account.memberships.length === 0 ? (
          <p className="muted">Not a member of any workspace on this server.</p>
        ) : (
          <ul className="chip-list">
            {account.memberships.map((w) => (
              <li key={w.id} className="chip">
                {w.name} <span className="muted">{w.slug}</span>
              </li>
            ))}
          </ul>
        )}
        <h3 className="user-detail-subtitle">Recent security events</h3>
        {account.recentEvents.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <ul className="plain-list">
            {account.recentEvents.map((event) => (
              <li key={event.id}>
                {describeEvent(event)} <span className="muted">· {formatDate(event.createdAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {asking === 'mfa' && (
        <ConfirmDialog
          title={`Reset the MFA of ${who}?`}
          confirm="Reset MFA"
          onClose={() => setAsking(undefined)}
          onConfirm={async () => {
            const reset = await must(api.POST('/console/api/instance/accounts/{accountId}/mfa-reset', { params: { path } }))
            changed(`MFA reset: ${plural(reset.endedSessions, 'session')} ended, and ${account.email} was mailed a notice.`)
          }}
        >
          <p>
            Their authenticator and recovery codes stop working and every session of theirs ends. They sign in with their password and can
            set up MFA again. Only do this for someone who lost both, once you are sure it is them.
          </p>
        </ConfirmDialog>
      )}
      {asking === 'admin' && (
        <ConfirmDialog
          title={account.instanceAdmin ? `Remove ${who} as instance admin?` : `Make ${who} an instance admin?`}
          confirm={account.instanceAdmin ? 'Remove instance admin' : 'Make instance admin'}
          onClose={() => setAsking(undefined)}
          onConfirm={async () => {
            const instanceAdmin = !account.instanceAdmin
            const saved = await must(
              api.PUT('/console/api/instance/accounts/{accountId}/instance-admin', { params: { path }, body: { instanceAdmin } }),
            )
            changed(
              instanceAdmin
                ? `${who} is an instance admin now${saved.linkQueued ? ', and was mailed a link to set a password' : ''}.`
                : `${who} is no longer an instance admin.`,
            )
          }}
        >
          <p>
            {account.instanceAdmin
              ? 'They keep their account and workspaces, but no longer manage every workspace, the outbox or the accounts.'
              : 'They will manage every workspace on this server as an owner would, read the outbox (which holds links and codes) and change accounts.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}

import { api, must } from '../../api/client'
import { useLoaded } from '../../components/loaded'
import { Loading, ProblemNotice } from '../../components/page'
import { Pager, usePaging } from '../../components/pager'
import { TableWrap } from '../../components/table-wrap'
import { deviceOf, formatDate } from '../../format'

/** The security log's event types in words; an unknown type shows as it is. */
const EVENT_WORDS: Record<string, string> = {
  sign_in: 'Signed in',
  sign_in_failed: 'Failed sign-in',
  sign_out: 'Signed out',
  session_revoked: 'Session revoked',
  password_changed: 'Password changed',
  name_changed: 'Name changed',
  password_reset_requested: 'Password link requested',
  link_used: 'Mailed link used',
  instance_admin_added: 'Made an instance admin',
  instance_admin_removed: 'No longer an instance admin',
  mfa_enabled: 'MFA turned on',
  mfa_disabled: 'MFA turned off',
  mfa_verified: 'MFA code accepted',
  mfa_failed: 'Wrong MFA code',
  mfa_recovery_codes_regenerated: 'New recovery codes',
  mfa_reset: 'MFA reset by an instance admin',
  security_code_sent: 'Security code mailed',
  token_created: 'Token created',
}

/** My account → Security log: what happened to this account, newest first, where from. */
export function SecurityLogSection() {
  const paging = usePaging({})
  const { cursor } = paging
  const log = useLoaded(() => {
    const query = { pagination: { count: 20, ...(cursor === undefined ? {} : { cursor }) } }
    return must(api.GET('/console/api/account/security-log', { params: { query } }))
  }, [cursor])

  return (
    <section className="card" aria-labelledby="security-log-heading">
      <h2 id="security-log-heading" className="card-title">
        Security log
      </h2>
      <p className="card-description">
        Sign-ins, failures, password, MFA and session changes of your account. Workspaces keep their own audit trails.
      </p>
      {log.status === 'loading' && <Loading label="Loading the security log…" />}
      {log.status === 'failed' && <ProblemNotice problem={log.problem} />}
      {log.status === 'ready' && (
        <>
          <TableWrap label="Security log">
            <table className="table" aria-labelledby="security-log-heading">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Address</th>
                  <th scope="col">Device</th>
                </tr>
              </thead>
              <tbody>
                {log.value.events.map((event) => (
                  <tr key={event.id}>
                    <td className="nowrap">{formatDate(event.createdAt)}</td>
                    <td>{EVENT_WORDS[event.type] ?? event.type}</td>
                    <td>{event.ip ?? <span className="muted">Unknown</span>}</td>
                    <td>{deviceOf(event.userAgent)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager label="Pages of the security log" onPrevious={paging.previous} onNext={paging.nextTo(log.value.pagination.next)} />
        </>
      )}
    </section>
  )
}

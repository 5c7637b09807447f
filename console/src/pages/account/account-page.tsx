import { useState } from 'react'
import { type Answer, type ApiProblem, api, asProblem, must } from '../../api/client'
import { shownValue, useLoaded } from '../../components/loaded'
import { Loading, PageHeader, ProblemNotice } from '../../components/page'
import { TableWrap } from '../../components/table-wrap'
import { deviceOf, formatDate } from '../../format'
import { navigate, paths } from '../../router'
import { useSession } from '../../session'
import { MfaSection } from './mfa-section'
import { PasswordSection } from './password-section'
import { ProfileSection } from './profile-section'
import { SecurityLogSection } from './security-log-section'

type SessionEntry = Answer<'/console/api/account/sessions', 'get'>['sessions'][number]

/** My account: who is signed in, and where (sessions: revoke one, or sign out everywhere). */
export function AccountPage() {
  const { signedOut } = useSession()
  const [revoked, setRevoked] = useState(0)
  const sessions = useLoaded(async () => (await must(api.GET('/console/api/account/sessions'))).sessions, [revoked])
  const list = shownValue(sessions)
  const [message, setMessage] = useState<string>()
  const [problem, setProblem] = useState<ApiProblem>()
  const [acting, setActing] = useState(false)
  // The buttons stay off until the list is read again after a revocation, so a revoked session cannot be revoked twice.
  const busy = acting || (sessions.status === 'loading' && list !== undefined)

  const revoke = async (entry: SessionEntry) => {
    setActing(true)
    setMessage(undefined)
    setProblem(undefined)
    try {
      await must(api.DELETE('/console/api/account/sessions/{sessionId}', { params: { path: { sessionId: entry.id } } }))
      if (entry.current) {
        signedOut('You have signed out.')
        navigate(paths.signIn)
        return
      }
      setMessage(`Signed out ${deviceOf(entry.userAgent)} (signed in ${formatDate(entry.createdAt)}).`)
      setRevoked((n) => n + 1)
    } catch (error) {
      setProblem(asProblem(error))
    } finally {
      setActing(false)
    }
  }

  const signOutEverywhere = async () => {
    setActing(true)
    setMessage(undefined)
    setProblem(undefined)
    try {
      const { endedSessions } = await must(api.POST('/console/api/account/sessions/revoke-all'))
      signedOut(`You have signed out everywhere (${endedSessions} ${endedSessions === 1 ? 'session' : 'sessions'} ended).`)
      navigate(paths.signIn)
    } catch (error) {
      setProblem(asProblem(error))
      setActing(false)
    }
  }

  return (
    <>
      <PageHeader title="My account" description="Your sign-in details, multi-factor authentication and the places you are signed in." />
      <ProfileSection />
      <PasswordSection />
      <MfaSection />

      <section className="card" aria-labelledby="sessions-heading">
        <div className="card-header">
          <h2 id="sessions-heading" className="card-title">
            Sessions
          </h2>
          <button type="button" className="btn btn-danger" onClick={signOutEverywhere} disabled={busy}>
            Sign out everywhere
          </button>
        </div>
        <p className="card-description">
          Each browser you signed in with. A session ends after 7 days, or after 24 hours without use. Sign out everywhere ends them all,
          this one too.
        </p>
        <div aria-live="polite">
          {message && (
            <p className="notice notice-success" role="status">
              {message}
            </p>
          )}
        </div>
        {problem && <ProblemNotice problem={problem} />}
        {!list && sessions.status === 'loading' && <Loading label="Loading sessions…" />}
        {sessions.status === 'failed' && <ProblemNotice problem={sessions.problem} />}
        {list && (
          <TableWrap label="Sessions">
            <table className="table" aria-labelledby="sessions-heading">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Address</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last active</th>
                  <th scope="col">Ends</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((entry) => (
                  <tr key={entry.id}>
                    <td className="nowrap">
                      {deviceOf(entry.userAgent)}
                      {entry.current && <span className="badge badge-current">This device</span>}
                    </td>
                    <td>{entry.ip ?? <span className="muted">Unknown</span>}</td>
                    <td className="nowrap">{formatDate(entry.createdAt)}</td>
                    <td className="nowrap">{formatDate(entry.lastSeenAt)}</td>
                    <td className="nowrap">{formatDate(entry.expiresAt)}</td>
                    <td className="table-actions">
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy}
                        onClick={() => revoke(entry)}
                        aria-label={
                          entry.current
                            ? 'Sign out on this device'
                            : `Revoke the session of ${deviceOf(entry.userAgent)} signed in ${formatDate(entry.createdAt)}`
                        }
                      >
                        {entry.current ? 'Sign out' : 'Revoke'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      <SecurityLogSection />
    </>
  )
}

import { useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { useAction } from '../../components/action'
import { shownValue, useLoaded } from '../../components/loaded'
import { FormError, Loading, PageHeader, ProblemNotice, SuccessNotice } from '../../components/page'
import { Link, paths } from '../../router'
import { useWorkspace } from '../../workspace'

type Settings = Answer<'/console/api/workspaces/{workspaceId}/settings/authentication', 'get'>

/** Settings → Authentication: Require MFA (owners and instance admins). SSO and SCIM come later. */
export function AuthenticationPage({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace()
  const workspaceName = workspace?.state.status === 'ready' ? workspace.state.value.workspace.name : 'this workspace'
  const state = useLoaded(
    () => must(api.GET('/console/api/workspaces/{workspaceId}/settings/authentication', { params: { path: { workspaceId } } })),
    [workspaceId],
  )
  // A change answers the settings as they are now: shown instead of the ones loaded (app.tsx mounts the page per workspace).
  const [saved, setSaved] = useState<Settings>()
  const settings = saved ?? shownValue(state)
  const { busy, problem, run } = useAction()
  const [message, setMessage] = useState<string>()

  const change = (requireMfa: boolean) => {
    setMessage(undefined)
    return run(async () => {
      const changed = await must(
        api.PUT('/console/api/workspaces/{workspaceId}/settings/authentication', {
          params: { path: { workspaceId } },
          body: { requireMfa },
        }),
      )
      setSaved(changed)
      setMessage(
        requireMfa
          ? 'Require MFA is on: everyone entering this workspace in the console must have passed multi-factor authentication.'
          : 'Require MFA is off.',
      )
    })
  }

  return (
    <>
      <PageHeader
        eyebrow="Settings"
        title="Authentication"
        description={`How people must sign in to enter ${workspaceName} in the console. API tokens are not affected.`}
      />
      {state.status === 'loading' && <Loading />}
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {settings && (
        <section className="card" aria-labelledby="require-mfa-heading">
          <h2 id="require-mfa-heading" className="card-title">
            Multi-factor authentication
          </h2>
          <p className="card-description">
            With Require MFA on, a member who has not set up an authenticator app is asked to set one up when they open this workspace, and
            a session that began without a code is asked for one. Their other workspaces stay open meanwhile.
          </p>
          <div className="mfa-card-body">
            {!settings.you.sessionPassed && !settings.authentication.requireMfa && (
              <div className="notice notice-info">
                <p>
                  {settings.you.mfaEnabled
                    ? 'This session has not passed multi-factor authentication: sign out and sign in again with your code before you turn this on.'
                    : 'You have not set up multi-factor authentication yourself. Once Require MFA is on, this workspace asks you for it too: set it up first.'}
                </p>
                {!settings.you.mfaEnabled && (
                  <p>
                    <Link to={paths.account}>Set up MFA in My account</Link>
                  </p>
                )}
              </div>
            )}
            <div aria-live="polite">
              <SuccessNotice message={message} />
            </div>
            {problem && <FormError problem={problem} />}
            <div className="switch-field">
              <input
                id="require-mfa"
                type="checkbox"
                role="switch"
                className="switch"
                checked={settings.authentication.requireMfa}
                aria-checked={settings.authentication.requireMfa}
                disabled={busy || (!settings.you.sessionPassed && !settings.authentication.requireMfa)}
                onChange={(e) => change(e.target.checked)}
                aria-describedby="require-mfa-hint"
              />
              <label htmlFor="require-mfa">Require MFA</label>
              <p id="require-mfa-hint" className="field-hint">
                Everyone, owners too, must use an authenticator app or a recovery code to enter this workspace.
              </p>
            </div>
          </div>
        </section>
      )}
    </>
  )
}

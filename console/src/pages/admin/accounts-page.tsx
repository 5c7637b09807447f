import { useState } from 'react'
import { type Answer, api, must } from '../../api/client'
import { shownValue, useLoaded } from '../../components/loaded'
import { Avatar, Loading, PageHeader, ProblemNotice } from '../../components/page'
import { Pager, rangeOf, usePaging } from '../../components/pager'
import { SearchBox } from '../../components/search-box'
import { TableWrap } from '../../components/table-wrap'
import { formatDate, plural } from '../../format'
import { AccountDetail } from './account-detail'

type AccountsPage = Answer<'/console/api/instance/accounts', 'get'>
type Account = AccountsPage['accounts'][number]
type Shown = { page: AccountsPage; offset: number }

const PAGE_SIZE = 20

/** Instance → Accounts: every person with an account on this server, their MFA, and what instance admins may do to it. */
export function AccountsPage() {
  const paging = usePaging({ search: '' })
  const { filters, cursor, pagesBefore } = paging
  const { search } = filters
  const [selected, setSelected] = useState<string>()
  /** A count of changes made in the detail panel: the list is asked again. */
  const [changes, setChanges] = useState(0)
  const state = useLoaded(async (): Promise<Shown> => {
    const offset = pagesBefore * PAGE_SIZE
    const query = { count: PAGE_SIZE, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) }
    return { page: await must(api.GET('/console/api/instance/accounts', { params: { query } })), offset }
  }, [search, cursor, pagesBefore, changes])

  const shown = shownValue(state)
  const page = shown?.page
  const total = page?.pagination.totalEntries

  if (state.status === 'failed' && state.problem.status === 403)
    return (
      <>
        <PageHeader eyebrow="Instance" title="Accounts" />
        <ProblemNotice problem={state.problem}>
          <p>Only the instance admins of this server see every account.</p>
        </ProblemNotice>
      </>
    )

  return (
    <>
      <PageHeader
        eyebrow="Instance"
        title="Accounts"
        description="Everyone with an account on this server, in any workspace. What you change here is logged in the person's security log under your name."
      />
      <SearchBox
        name="Accounts"
        label="Search accounts"
        placeholder="Name or email"
        onSearch={(search) => paging.filter((f) => (f.search === search ? f : { ...f, search }))}
        status={total === undefined ? '' : `${plural(total, 'account')}${search ? ' found' : ''}`}
      />
      {state.status === 'failed' && <ProblemNotice problem={state.problem} />}
      {selected && (
        <AccountDetail
          key={selected}
          accountId={selected}
          onClose={() => setSelected(undefined)}
          onChanged={() => setChanges((n) => n + 1)}
        />
      )}
      {page && (
        <TableWrap label="Accounts">
          <table className="table" aria-busy={state.status === 'loading'} aria-label="Accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Password</th>
                <th scope="col">MFA</th>
                <th scope="col">Workspaces</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.accounts.length === 0 ? (
                <tr>
                  <td colSpan={6} className="table-empty">
                    {search ? 'No accounts match this search.' : 'No accounts yet.'}
                  </td>
                </tr>
              ) : (
                page.accounts.map((account) => <AccountRow key={account.id} account={account} onOpen={() => setSelected(account.id)} />)
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {!page && state.status === 'loading' && <Loading label="Loading accounts…" />}
      {page && (total ?? 0) > 0 && (
        <Pager
          label="Pages of accounts"
          range={rangeOf((shown?.offset ?? 0) + 1, page.accounts.length, total)}
          busy={state.status === 'loading'}
          onPrevious={paging.previous}
          onNext={paging.nextTo(page.pagination.next)}
        />
      )}
    </>
  )
}

function AccountRow({ account, onOpen }: { account: Account; onOpen: () => void }) {
  return (
    <tr>
      <td>
        <span className="person-cell">
          <Avatar name={account.name} email={account.email} />
          <button type="button" className="link-button" onClick={onOpen} aria-label={`Details of ${account.name || account.email}`}>
            {account.name || <span className="muted">No name</span>}
          </button>
          {account.instanceAdmin && <span className="badge badge-current">Instance admin</span>}
        </span>
      </td>
      <td className="nowrap">{account.email}</td>
      <td>{account.hasPassword ? 'Set' : <span className="muted">Not set yet</span>}</td>
      <td>{account.mfaEnabled ? <span className="badge badge-live">On</span> : <span className="muted">Off</span>}</td>
      <td>{account.workspaces}</td>
      <td>{formatDate(account.createdAt)}</td>
    </tr>
  )
}

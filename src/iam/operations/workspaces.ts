import { hashSecret, newTokenSecret } from '../../auth/secrets.js'
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { Queries } from '../../store/queries/index.js'
import type { TokenRow } from '../../store/queries/workspaces.js'
import type { Plan, TokenRole } from '../../store/tables.js'
import { type Actor, now, OPERATOR, recordAudit } from '../audit.js'
import { WORKSPACE_OWNER_ROLE_ID } from '../rules/roles.js'
import { addMembers } from './members.js'

export interface CreateWorkspaceInput {
  name: string
  slug: string
  ownerEmail: string
  ownerName?: string
  plan?: Plan
}

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/

/** Every workspace starts with these labels. */
export const DEFAULT_LABELS = [
  { key: 'environment', value: 'dev', description: 'Development environment' },
  { key: 'environment', value: 'prod', description: 'Production environment' },
]

/**
 * Creates a workspace with its owner (a member holding Workspace Owner), its default labels and an
 * OWNER token, whose secret is returned once and stored only as a hash.
 */
export async function createWorkspace(q: Queries, input: CreateWorkspaceInput) {
  if (!SLUG_PATTERN.test(input.slug))
    throw new ValidationError('slug must be lower-case letters, digits and inner hyphens, 1-100 characters', 'slug')
  if (await q.workspaces.slugTaken(input.slug))
    throw new ConflictError(`A workspace with slug ${input.slug} already exists`, { field: 'slug' })
  const at = now(q)
  const workspace = { id: newId(), slug: input.slug, name: input.name, plan: input.plan ?? 'business', created_at: at }
  await q.workspaces.insert(workspace)
  await q.labels.insertMany(DEFAULT_LABELS.map((l) => ({ workspace_id: workspace.id, ...l, created_at: at })))
  const [owner] = await addMembers(q, workspace.id, [{ email: input.ownerEmail, name: input.ownerName ?? '' }], OPERATOR)
  if (owner === undefined) throw new Error('owner was not created')
  await q.permissions.insertMany(
    workspace.id,
    'user',
    owner.id,
    [{ id: newId(), roleId: WORKSPACE_OWNER_ROLE_ID, resources: [{ id: workspace.id, type: 'WORKSPACE' }] }],
    at,
  )
  const { token, secret } = await createToken(q, workspace.id, 'Created with the workspace', 'OWNER')
  await recordAudit(
    q,
    workspace.id,
    OPERATOR,
    [{ type: 'Workspace Created', resourceId: workspace.id, resourceType: 'workspace', resourceName: workspace.name }],
    at,
  )
  return {
    workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name, plan: workspace.plan },
    token: secret,
    tokenId: token.id,
    owner: { id: owner.id, email: owner.email, name: owner.name },
  }
}

/** A token, its secret returned once and stored only as a hash; `created_by` is the actor's email (a console person). */
export async function createToken(q: Queries, workspaceId: string, description: string, role: TokenRole, actor: Actor = OPERATOR) {
  const secret = newTokenSecret()
  const at = now(q)
  const token: TokenRow = { id: newId(), workspace_id: workspaceId, description, role, created_at: at, revoked_at: null }
  await q.tokens.insert({ ...token, secret_hash: hashSecret(secret), created_by: actor.email ?? null })
  await recordAudit(
    q,
    workspaceId,
    actor,
    [{ type: 'Token Created', resourceId: token.id, resourceType: 'token', resourceName: description }],
    at,
  )
  return { token, secret }
}

export async function revokeToken(q: Queries, workspaceId: string, tokenId: string, actor: Actor = OPERATOR): Promise<boolean> {
  const at = now(q)
  const token = await q.tokens.find(workspaceId, tokenId)
  if (!token || !(await q.tokens.revoke(workspaceId, tokenId, at))) return false
  await recordAudit(
    q,
    workspaceId,
    actor,
    [{ type: 'Token Revoked', resourceId: tokenId, resourceType: 'token', resourceName: token.description }],
    at,
  )
  return true
}

/** At most this many billing and this many incident contacts. */
export const MAX_CONTACTS = 20

export interface WorkspaceSettingsInput {
  name?: string | undefined
  slug?: string | undefined
  /** Email addresses (already checked as emails); duplicates in any case are dropped, the first spelling kept. */
  billingContacts?: string[] | undefined
  incidentContacts?: string[] | undefined
}

/**
 * Settings → General: renames the workspace, changes its slug (unique: 409 naming `slug`) and its contacts. One
 * audit event per aspect that changed; nothing changes and nothing is recorded when the values are the same.
 */
export async function updateWorkspaceSettings(q: Queries, workspaceId: string, input: WorkspaceSettingsInput, actor: Actor) {
  const workspace = await q.workspaces.find(workspaceId)
  if (!workspace) throw new NotFoundError(`Workspace ${workspaceId}`, 'workspaceId')
  const changes: Parameters<Queries['workspaces']['updateSettings']>[1] = {}
  const events: string[] = []
  const name = input.name?.trim()
  if (name !== undefined && name !== workspace.name) {
    if (name === '') throw new ValidationError('name must not be blank', 'name')
    changes.name = name
    events.push('Workspace Name Updated')
  }
  if (input.slug !== undefined && input.slug !== workspace.slug) {
    if (!SLUG_PATTERN.test(input.slug))
      throw new ValidationError('slug must be lower-case letters, digits and inner hyphens, 1-100 characters', 'slug')
    if (await q.workspaces.slugTaken(input.slug, workspaceId))
      throw new ConflictError(`The slug ${input.slug} is already used by another workspace; choose another slug`, { field: 'slug' })
    changes.slug = input.slug
    events.push('Workspace Slug Updated')
  }
  for (const [field, column, event] of [
    ['billingContacts', 'billing_contacts', 'Workspace Billing Contacts Updated'],
    ['incidentContacts', 'incident_contacts', 'Workspace Incident Contacts Updated'],
  ] as const) {
    const list = input[field]
    if (list === undefined) continue
    const json = JSON.stringify(uniqueEmails(list, field))
    if (json === workspace[column]) continue
    changes[column] = json
    events.push(event)
  }
  if (events.length > 0) {
    const at = now(q)
    await q.workspaces.updateSettings(workspaceId, changes)
    const resourceName = changes.name ?? workspace.name
    await recordAudit(
      q,
      workspaceId,
      actor,
      events.map((type) => ({ type, resourceId: workspaceId, resourceType: 'workspace' as const, resourceName })),
      at,
    )
  }
  return { ...workspace, ...changes }
}

/** Trimmed, without repeats in any case, at most MAX_CONTACTS. */
function uniqueEmails(list: readonly string[], field: string): string[] {
  const seen = new Set<string>()
  const kept: string[] = []
  for (const raw of list) {
    const email = raw.trim()
    const key = email.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    kept.push(email)
  }
  if (kept.length > MAX_CONTACTS) throw new ValidationError(`${field}: at most ${MAX_CONTACTS} addresses`, field)
  return kept
}

import type { Kysely } from 'kysely'
import type { Database, SubjectType } from '../tables.js'
import { chunks, inChunks } from './chunks.js'

export interface ResourceGrant {
  id: string
  type: string
  labels?: { key: string; value: string; description?: string }[]
}

/** A stored permission (policy): one role over resources, held by a user, a group or an invite. */
export interface PermissionRow {
  id: string
  subject_type: SubjectType
  subject_id: string
  role_id: string
  resources: ResourceGrant[]
  created_at: string
}

export interface NewPermission {
  id: string
  roleId: string
  resources: ResourceGrant[]
}

export function permissionQueries(db: Kysely<Database>) {
  const decode = (row: {
    id: string
    subject_type: SubjectType
    subject_id: string
    role_id: string
    resources: string
    created_at: string
  }): PermissionRow => ({ ...row, resources: JSON.parse(row.resources) as ResourceGrant[] })

  const select = () => db.selectFrom('permissions').select(['id', 'subject_type', 'subject_id', 'role_id', 'resources', 'created_at'])

  return {
    /** Permissions of these subjects of the workspace, in grant order. */
    async ofSubjects(workspaceId: string, subjectType: SubjectType, subjectIds: readonly string[]): Promise<PermissionRow[]> {
      if (subjectIds.length === 0) return []
      const rows = await inChunks(subjectIds, (c) =>
        select()
          .where('subject_id', 'in', c)
          .where('subject_type', '=', subjectType)
          .where('workspace_id', '=', workspaceId)
          .orderBy('id')
          .execute(),
      )
      return rows.map(decode)
    },
    async insertMany(
      workspaceId: string,
      subjectType: SubjectType,
      subjectId: string,
      permissions: readonly NewPermission[],
      at: string,
    ): Promise<void> {
      if (permissions.length === 0) return
      await db
        .insertInto('permissions')
        .values(
          permissions.map((p) => ({
            id: p.id,
            workspace_id: workspaceId,
            subject_type: subjectType,
            subject_id: subjectId,
            role_id: p.roleId,
            resources: JSON.stringify(p.resources),
            created_at: at,
          })),
        )
        .execute()
      const labels = permissions.flatMap((p) =>
        p.resources.flatMap((r) =>
          (r.labels ?? []).map((l) => ({
            permission_id: p.id,
            workspace_id: workspaceId,
            label_key: l.key,
            label_value: l.value,
          })),
        ),
      )
      for (const c of chunks(labels)) await db.insertInto('permission_labels').values(c).execute()
    },
    /** Deletes every permission of these subjects of the workspace; returns the deleted ones. */
    async deleteOfSubjects(workspaceId: string, subjectType: SubjectType, subjectIds: readonly string[]): Promise<PermissionRow[]> {
      const rows = await this.ofSubjects(workspaceId, subjectType, subjectIds)
      for (const c of chunks(rows.map((r) => r.id)))
        await db.deleteFrom('permissions').where('workspace_id', '=', workspaceId).where('id', 'in', c).execute()
      return rows
    },
    /** Hands an accepted invite's permissions to the user it became (both of the workspace). */
    async transfer(workspaceId: string, fromType: SubjectType, fromId: string, toType: SubjectType, toId: string): Promise<void> {
      await db
        .updateTable('permissions')
        .set({ subject_type: toType, subject_id: toId })
        .where('workspace_id', '=', workspaceId)
        .where('subject_type', '=', fromType)
        .where('subject_id', '=', fromId)
        .execute()
    },
    async isLabelInUse(workspaceId: string, key: string, value: string): Promise<boolean> {
      const row = await db
        .selectFrom('permission_labels')
        .select('permission_id')
        .where('workspace_id', '=', workspaceId)
        .where('label_key', '=', key)
        .where('label_value', '=', value)
        .executeTakeFirst()
      return row !== undefined
    },
    /** Users of the workspace that hold this role directly. */
    async usersWithRole(workspaceId: string, roleId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('permissions')
        .select('subject_id')
        .distinct()
        .where('workspace_id', '=', workspaceId)
        .where('role_id', '=', roleId)
        .where('subject_type', '=', 'user')
        .execute()
      return rows.map((r) => r.subject_id)
    },
  }
}

/** The key emails are matched by everywhere (accounts, members, invites, the directory): case-insensitive, spelling kept for display. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase()
}

import type { Fixture } from '../../src/emulator/index.js'

/** A fixture of one workspace with `count` users, each a Workspace Member, in three groups. */
export function bigFixture(count: number): Fixture {
  const emails = Array.from({ length: count }, (_, i) => `user${i}@big.example`)
  return {
    workspaces: [
      {
        slug: 'big',
        name: 'Big',
        users: [
          { email: 'owner@big.example', permissions: [{ role: 'Workspace Owner' }] },
          ...emails.map((email, i) => ({ email, name: `User ${i}`, permissions: [{ role: 'Workspace Member' }] })),
        ],
        groups: ['a', 'b', 'c'].map((name, g) => ({ name, members: emails.filter((_, i) => i % 3 === g) })),
        tokens: [{ description: 'ci', secret: `sgp_${'B'.repeat(64)}` }],
      },
    ],
  }
}

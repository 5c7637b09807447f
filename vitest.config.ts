import { defineConfig } from 'vitest/config'

// One suite, two stores: the HTTP-level suites run on SQLite and again on PostgreSQL (a random schema per
// server, dropped after). Suites about the SQLite file itself (restart, CLI on --db) run on SQLite only.
const onBothStores = [
  'test/iam/**/*.test.ts',
  'test/wire/**/*.test.ts',
  'test/admin/**/*.test.ts',
  'test/directory/**/*.test.ts',
  'test/mail/**/*.test.ts',
  'test/accounts/**/*.test.ts',
  // The store's own suites (its dialects, its keyset pages), on the engine of the project.
  'test/store/**/*.test.ts',
  // Bad input, tenant isolation and secrets hold on both stores (a store dump per request on each).
  'test/reliability/bad-input.test.ts',
  'test/reliability/tenant-isolation.test.ts',
  'test/reliability/secrets.test.ts',
]

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: suites that start servers and child processes run two at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // test/console (the console in Chromium against `gatehouse serve` with its demo, on a SQLite file) runs here only.
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/scale/**'], env: { GATEHOUSE_TEST_STORE: 'sqlite' } },
      },
      // test/scale: several replicas on one PostgreSQL, and a database restart: PostgreSQL only.
      {
        extends: true,
        // The crash suite runs on PostgreSQL too, with fewer kills (see the file).
        test: {
          name: 'postgres',
          include: [...onBothStores, 'test/scale/**/*.test.ts', 'test/reliability/crash-safety.test.ts'],
          env: { GATEHOUSE_TEST_STORE: 'postgres' },
        },
      },
    ],
  },
})

import { defineConfig } from 'vitest/config';

/**
 * Tests by kind (README, Contributing): `npm test` runs the three projects, `npm run test:unit` the
 * fast loop. A new test goes where its kind says:
 * - unit: pure and in-process (no child processes, no Azurite, at most an in-process node:http server);
 * - integration: Azurite, the fake Azure services (Key Vault, ingestion, the Datadog agent process),
 *   the prober against real servers;
 * - e2e: the built CLI and the local host, driven as a user runs them (needs `npm run build`).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.JUNIT_REPORT ? ['default', ['junit', { outputFile: process.env.JUNIT_REPORT }]] : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/setup.ts'],
          // Trusts the HTTPS fakes' certificate via NODE_EXTRA_CA_CERTS before the workers start (issue 3).
          globalSetup: ['test/globalSetup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], setupFiles: ['test/setup.ts'], globalSetup: ['test/globalSetup.ts'] },
      },
    ],
  },
});

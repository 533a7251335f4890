import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Trusts the HTTPS fakes' certificate via NODE_EXTRA_CA_CERTS before the workers start (issue 3).
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.JUNIT_REPORT ? ['default', ['junit', { outputFile: process.env.JUNIT_REPORT }]] : ['default'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    globalSetup: ['test/lab/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Files run in parallel against one shared lab; tests that break a host use a scratch host of their own.
    fileParallelism: true,
    pool: 'forks',
    reporters: ['default'],
  },
});

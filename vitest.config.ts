import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    globalSetup: ['test/lab/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The lab is one shared set of hosts; integration files run one after another against it.
    fileParallelism: true,
    pool: 'forks',
    reporters: ['default'],
  },
});

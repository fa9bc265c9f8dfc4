import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Suites start real broker processes; two cores are shared between them.
    maxWorkers: 2,
    fileParallelism: true,
  },
});

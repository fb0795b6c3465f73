import { defineConfig } from 'vitest/config';

// The driver's timing test checks 1 ms bars: it runs after the main suite, alone, so that no
// other test file takes its core (npm test runs both).
export default defineConfig({
  test: {
    include: ['test/load/driver.timing.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});

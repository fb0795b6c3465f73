import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The driver's 1 ms timing test runs alone afterwards (vitest.timing.config.ts).
    exclude: ['test/vllm/**', 'test/load/driver.timing.test.ts', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: timing-sensitive tests must not fight each other for the CPU.
    maxWorkers: 2,
  },
});

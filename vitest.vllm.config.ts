import { defineConfig } from 'vitest/config';

// The real-vLLM suite (npm run test:vllm): one server shared by every file, started in
// globalSetup; files run one after another because the server has one core to itself.
export default defineConfig({
  test: {
    include: ['test/vllm/**/*.test.ts'],
    globalSetup: ['test/vllm/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    teardownTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});

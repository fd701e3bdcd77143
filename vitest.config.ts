import { defineConfig } from 'vitest/config';

// `npm test`: everything that runs on a fresh clone without ../shared.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.data.test.ts', 'dist/**', 'dist-bench/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

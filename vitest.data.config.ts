import { defineConfig } from 'vitest/config';

// `npm run test:data`: tests on the large real recordings in ../shared (or VIGIL_SHARED_DIR).
export default defineConfig({
  test: {
    include: ['**/*.data.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});

// Standalone vitest config for training/ts-check only (not part of CI's projects): runs the project's
// TypeScript loader + reference forward pass on the exported built-in model in Node.
// Run from the repo root: npx vitest run --config training/ts-check/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'training-ts-check', environment: 'node', include: ['training/ts-check/**/*.test.ts'], root: '.', testTimeout: 120_000 },
});

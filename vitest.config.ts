import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { wgslPlugin } from './vite.config.ts';
import { chromeLaunch } from './src/bench/chrome.mjs';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Two projects: `unit` runs plain TypeScript in Node; `gpu` runs in headless Chromium with real WebGPU
 * (SwiftShader on machines without a GPU). Browser discovery is skipped when only `unit` is asked for.
 */
const wantsGpu = !process.argv.includes('unit');
const chrome = wantsGpu ? chromeLaunch() : undefined;

/** Real model files beside the project (../shared/models); tests that need them skip, saying so, where absent. */
const sharedModels = resolve(import.meta.dirname, '../shared/models');
const haveShared = existsSync(sharedModels);

export default defineConfig({
  plugins: [wgslPlugin()],
  test: {
    projects: [
      {
        plugins: [wgslPlugin()],
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        plugins: [wgslPlugin()],
        // The browser reads ../shared/models through Vite's /@fs/ route.
        server: { fs: { allow: [import.meta.dirname, ...(haveShared ? [sharedModels] : [])] } },
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The adapter is software on CI machines; one file at a time keeps its timings and memory sane.
          fileParallelism: false,
          provide: {
            chrome: chrome ? { adapter: chrome.adapter, version: chrome.version } : null,
            sharedModelsUrl: haveShared ? `/@fs${sharedModels}` : null,
          },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: chrome ? { executablePath: chrome.executablePath, args: chrome.args } : {},
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});

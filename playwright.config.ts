import { defineConfig } from '@playwright/test';
import { chromeLaunch } from './src/bench/chrome.mjs';

// End-to-end tests run the built app (`npm run build` first) from `vite preview`, in the same Chrome
// and with the same WebGPU flags as the GPU tests and the benchmarks.
const chrome = chromeLaunch();
// E2E_PORT lets two checkouts on one machine test at once.
const PORT = Number(process.env['E2E_PORT'] ?? 4319);

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 120_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    browserName: 'chromium',
    launchOptions: { executablePath: chrome.executablePath, args: chrome.args },
    viewport: { width: 1280, height: 800 },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});

// @ts-check
// The pieces the Node CLIs (bench, generate) share to drive a page of this project in headless Chrome:
// a Vite dev server over the repository (no HMR, no file watching, optional extra folders the page may
// read through /@fs/), Chrome found and flagged as the tests do (chrome.mjs), and a page that says
// "ready" in #status. Also the Vulkan-loader re-exec that `--runtime node` needs on some machines.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseAdapter, chromeArgs, chromeVersion, findChrome } from './chrome.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Real model files beside the project (../shared/models), when present; the bench and tests read stories260K there. */
export const SHARED_MODELS = resolve(ROOT, '../shared/models');

/**
 * Starts a Vite dev server over the repository on a free local port.
 * @param {{ allow?: string[] }} [opts] extra folders the page may fetch as `/@fs/<absolute path>`
 */
export async function startViteServer(opts = {}) {
  const { createServer } = await import('vite');
  const allow = [ROOT, ...(opts.allow ?? [])];
  const server = await createServer({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    // No HMR or watching: an edit elsewhere in the tree must not reload a running page.
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null, fs: { allow } },
  });
  await server.listen();
  return { server, url: /** @type {string} */ (server.resolvedUrls?.local[0]) };
}

/**
 * Opens `pagePath` (e.g. "bench.html") in headless Chrome from a fresh Vite server, waits for
 * #status to read "ready", and returns the page with a `close()` that shuts everything down.
 * Page errors are collected in `errors`; `log` receives what the page sends through `window.benchLog`.
 * @param {{ pagePath: string, adapter?: string, chrome?: string, allow?: string[], log: (m: string) => void, readyTimeoutMs?: number }} o
 */
export async function openPage(o) {
  const { chromium } = await import('playwright');
  if (o.chrome) process.env['CHROME_PATH'] = o.chrome;
  const executablePath = findChrome({ log: o.log });
  const adapter = chooseAdapter(o.adapter);
  const { server, url } = await startViteServer({ allow: o.allow ?? [] });
  /** @type {import('playwright').Browser | undefined} */
  let browser;
  try {
    browser = await chromium.launch({ executablePath, args: chromeArgs(adapter), headless: true });
    const page = await browser.newPage();
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('benchLog', (/** @type {string} */ m) => o.log(m));
    await page.goto(`${url}${o.pagePath}`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: o.readyTimeoutMs ?? 120_000 });
    const b = browser;
    return {
      page,
      errors,
      adapter,
      browserVersion: `${b.version()} (${chromeVersion(executablePath)})`,
      async close() {
        await b.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}

/** Dawn needs libvulkan.so.1; where the system lacks it, Chromium's bundled copy works. It must be on LD_LIBRARY_PATH at process start. */
export function needsVulkanLoaderReexec() {
  if (process.platform !== 'linux' || process.env['SP_BENCH_CHILD']) return false;
  const system = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];
  return !system.some(existsSync) && existsSync('/usr/lib/chromium/libvulkan.so.1');
}

/** Runs this same script again with Chromium's Vulkan loader on LD_LIBRARY_PATH and exits with its status. */
export function reexecWithVulkanLoader() {
  const env = { ...process.env, SP_BENCH_CHILD: '1', LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':') };
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

// @ts-check
// Browser discovery and launch flags, shared by the GPU tests (vitest browser mode), the e2e tests
// (Playwright) and the benchmark CLI, so all three run the same Chrome with the same WebGPU adapter.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Where Chrome or Chromium usually lives, per OS, in the order we try them. */
const CANDIDATES = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/google-chrome',
    '/snap/bin/chromium',
    '/opt/google/chrome/chrome',
  ],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
  win32: [
    `${process.env['PROGRAMFILES'] ?? 'C:\\Program Files'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['LOCALAPPDATA'] ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
  ],
};

/** Flags that keep headless Chromium quiet on a closed network (ENVIRONMENT.md: without them it floods refused connections). */
const QUIET_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
];

function isDebianLike() {
  return existsSync('/etc/debian_version');
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Finds a Chrome/Chromium binary: $CHROME_PATH, then the usual locations; on Debian/Ubuntu as root
 * installs Debian's `chromium` with apt-get (and says so); otherwise throws with what to do.
 * @param {{ install?: boolean, log?: (msg: string) => void }} [opts]
 * @returns {string}
 */
export function findChrome(opts = {}) {
  const log = opts.log ?? ((m) => console.error(m));
  const fromEnv = process.env['CHROME_PATH'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROME_PATH=${fromEnv} does not exist.`);
    return fromEnv;
  }
  const list = CANDIDATES[/** @type {'linux'|'darwin'|'win32'} */ (process.platform)] ?? [];
  const found = list.find((p) => existsSync(p));
  if (found) return found;
  if (process.platform === 'linux' && isDebianLike() && isRoot() && opts.install !== false) {
    log('[chrome] no Chrome or Chromium found: installing Debian\'s `chromium` with apt-get (a few minutes, once)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  }
  throw new Error(
    'No Chrome or Chromium found. Install Chrome (https://www.google.com/chrome/) or Chromium ' +
      '(Debian/Ubuntu: `sudo apt-get install chromium`), or set CHROME_PATH to its executable.',
  );
}

/** Best guess, before launching, whether this machine has a GPU Chrome could use. */
export function hasHardwareGpu() {
  if (process.platform !== 'linux') return true; // macOS and Windows always have a GPU adapter (Metal / D3D12).
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * Which adapter to ask Chrome for: $WEBGPU_ADAPTER (auto | hardware | swiftshader), where `auto` means
 * the hardware GPU when one is present and SwiftShader (software Vulkan, ships with Chromium) otherwise.
 * @param {string | undefined} [requested]
 * @returns {'hardware' | 'swiftshader'}
 */
export function chooseAdapter(requested = process.env['WEBGPU_ADAPTER']) {
  const want = (requested ?? 'auto').toLowerCase();
  if (want === 'swiftshader' || want === 'hardware') return want;
  if (want !== 'auto') throw new Error(`WEBGPU_ADAPTER must be auto, hardware or swiftshader, not "${requested}".`);
  return hasHardwareGpu() ? 'hardware' : 'swiftshader';
}

/**
 * Chrome launch arguments that give a working `navigator.gpu` headless (verified in ENVIRONMENT.md).
 * $WEBGPU_FLAGS=off drops the WebGPU flags; it exists to show that GPU tests then fail, not skip.
 * @param {'hardware' | 'swiftshader'} adapter
 * @returns {string[]}
 */
export function chromeArgs(adapter) {
  const args = [...QUIET_FLAGS];
  if (isRoot()) args.push('--no-sandbox');
  if (process.env['WEBGPU_FLAGS'] === 'off') return args;
  // developer features: unquantized timestamp queries and adapter descriptions.
  args.push('--enable-unsafe-webgpu', '--enable-webgpu-developer-features');
  if (adapter === 'swiftshader') {
    args.push('--use-webgpu-adapter=swiftshader');
  } else if (process.platform === 'linux') {
    // Chrome on Linux reaches the GPU for WebGPU only through Vulkan.
    args.push('--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist');
  }
  return args;
}

/** @param {string} path */
export function chromeVersion(path) {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return (r.stdout || '').trim() || 'unknown';
}

/** Everything a launcher needs, computed once. */
export function chromeLaunch() {
  const executablePath = findChrome();
  const adapter = chooseAdapter();
  return { executablePath, adapter, args: chromeArgs(adapter), version: chromeVersion(executablePath), host: `${os.platform()} ${os.release()}` };
}

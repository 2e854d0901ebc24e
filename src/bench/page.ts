// The benchmark page (bench.html): the CLI opens it in Chrome and calls `window.runBench`.
import { runOnHost, suiteNames, type HostRunOptions, type HostRunResult } from './host';

declare global {
  interface Window {
    runBench(opts: HostRunOptions): Promise<HostRunResult>;
    benchSuites(): string[];
    /** Exposed by the CLI through Playwright, so progress reaches the terminal as it happens. */
    benchLog?: (msg: string) => void;
  }
}

const status = document.getElementById('status')!;

/** A repository file through the dev server; null when it is not there (404, or the dev server's HTML fallback). */
async function fetchFile(url: string): Promise<ArrayBuffer | null> {
  const res = await fetch(url);
  if (res.status === 404 || (res.headers.get('content-type') ?? '').startsWith('text/html')) return null;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  return res.arrayBuffer();
}

window.benchSuites = suiteNames;
window.runBench = (opts) =>
  runOnHost(
    navigator.gpu,
    opts,
    (m) => window.benchLog?.(m),
    (done, total, label) => {
      status.textContent = `${done}/${total} ${label}`;
      window.benchLog?.(`[${done}/${total}] ${label}`);
    },
    opts.fileRoot === undefined ? undefined : (path) => fetchFile(`${opts.fileRoot}${path}`),
  );
status.textContent = 'ready';

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
  );
status.textContent = 'ready';

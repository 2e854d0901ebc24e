/** Number formatting shared by the views (tabular, en-US, units spelled the way the field writes them). */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(x >= 10 ? 0 : 1)}%` : '—';
}

/** Engineering notation for rates: 1.2 k, 3.4 M, 5.6 G, 7.8 T. */
export function fmtSi(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  const [d, p] = a >= 1e12 ? [1e12, 'T'] : a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = n / d;
  return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)} ${p}${unit}`.trim();
}

export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return `${n} B`;
}

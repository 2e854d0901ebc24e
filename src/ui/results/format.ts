/** Number formatting for the results page: times keep 3 significant digits from nanoseconds to seconds. */

/** 0.0123 -> "12.3 µs", 4.5 -> "4.50 ms", 2020 -> "2.02 s". */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const a = Math.abs(ms);
  if (a === 0) return '0';
  if (a < 1e-3) return `${sig(ms * 1e6)} ns`;
  if (a < 1) return `${sig(ms * 1e3)} µs`;
  if (a < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

/** Three significant digits without exponent notation (123.4 -> "123", 1.234 -> "1.23"). */
export function sig(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** B/A as "1.37×"; three significant digits. */
export function fmtRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '—';
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  // Three significant digits; 0.9996 rounds to 1.00, not 1.000.
  if (r >= 0.01) return `${r.toFixed(r >= 0.9995 ? 2 : 3)}×`;
  return `${r.toPrecision(2)}×`;
}

/** Rates as the CLI writes them: 3 significant digits, GFLOP/s or GB/s implied by the column. */
export function fmtRate(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return v >= 1000 ? Math.round(v).toLocaleString('en-US') : v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** Axis ticks: 0.01 -> "10 µs", 1000 -> "1 s", 0.2 -> "200 µs" (no trailing zeros). */
export function fmtTick(ms: number): string {
  const [v, unit] = ms < 1e-3 ? [ms * 1e6, 'ns'] : ms < 1 ? [ms * 1e3, 'µs'] : ms < 1000 ? [ms, 'ms'] : [ms / 1000, 's'];
  return `${Number(v.toPrecision(3))} ${unit}`;
}

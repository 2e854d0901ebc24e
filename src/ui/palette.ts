/**
 * Colours: the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), distinguishable with
 * the common colour-vision deficiencies. Tenants take the colours in order; a sequence is a shade of its
 * tenant's colour. Every colour-coded number is also written as text somewhere.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] as const;

export function tenantColor(index: number): string {
  return OKABE_ITO[((index % OKABE_ITO.length) + OKABE_ITO.length) % OKABE_ITO.length]!;
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Mixes `rgb` towards white (t > 0) or black (t < 0) by |t|. */
export function shade([r, g, b]: readonly [number, number, number], t: number): [number, number, number] {
  const target = t > 0 ? 255 : 0;
  const k = Math.abs(t);
  return [Math.round(r + (target - r) * k), Math.round(g + (target - g) * k), Math.round(b + (target - b) * k)];
}

/** Chart series colours (tenants use tenantColor). */
export const SERIES = {
  output: '#0072B2',
  busy: '#D55E00',
  running: '#009E73',
  waiting: '#E69F00',
  preempted: '#CC79A7',
  prefill: '#56B4E9',
  decode: '#0072B2',
} as const;

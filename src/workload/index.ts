/** Seeded request generators, a concurrency-capped driver and trace replay. Imports nothing of ours. */
export * from './types';
export * from './random';
export * from './lengths';
export * from './arrivals';
export * from './tokens';
export * from './generator';
export * from './driver';
export * from './csv';
export * from './trace';

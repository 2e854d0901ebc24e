/** Serving metrics from request timelines and step samples; JSON, CSV and Chrome-trace exports. Imports nothing of ours. */
export * from './types';
export * from './stats';
export * from './request';
export * from './report';
export * from './names';
export * from './csv_export';
export * from './chrome_trace';

export * from './errors';
export * from './device';
export * from './buffers';
export * from './readback';
export * from './pipelines';
export * from './timer';

/** The step scheduler, requests, policies and metrics hooks. */
export * from './request';
export * from './config';
export * from './output';
export * from './queue_policy';
export * from './victim_policy';
export * from './sharing_policy';
export * from './metrics';
export * from './scheduler';

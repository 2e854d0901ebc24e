/** KV memory: the shared page pool, per-model allocators (paged and contiguous), prefix-cache hashing. */
export * from './errors';
export * from './events';
export * from './hash';
export * from './layout';
export * from './free_page_queue';
export * from './page_pool';
export * from './allocator';
export * from './kv_cache_manager';
export * from './contiguous_allocator';

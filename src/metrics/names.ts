/**
 * Each report field and its vLLM name. Prometheus names are from vLLM v1's /metrics (docs/design/
 * metrics.md and docs/usage/metrics.md in vllm-project/vllm); where vLLM has no Prometheus metric, the
 * line `vllm bench serve` prints. Units: we report ms where vLLM's histograms are in seconds.
 *
 * TPOT note: vLLM v1's per-request TPOT histogram is `vllm:request_time_per_output_token_seconds`.
 * The older `vllm:time_per_output_token_seconds` observed every inter-token gap (it is deprecated in favour
 * of `vllm:inter_token_latency_seconds`), so it corresponds to our ITL, not our TPOT.
 */

export interface MetricName {
  /** Path in RunReport (per group: overall.* and tenants[name].*). */
  field: string;
  /** vLLM's Prometheus name, or null where vLLM exports none. */
  vllm: string | null;
  /** `vllm bench serve` output line, where it prints this metric. */
  benchServe: string | null;
  unit: string;
}

export const METRIC_NAMES: readonly MetricName[] = [
  { field: 'ttftMs', vllm: 'vllm:time_to_first_token_seconds', benchServe: 'Mean/Median/P99 TTFT (ms)', unit: 'ms' },
  { field: 'tpotMs', vllm: 'vllm:request_time_per_output_token_seconds', benchServe: 'Mean/Median/P99 TPOT (ms)', unit: 'ms' },
  { field: 'itlMs', vllm: 'vllm:inter_token_latency_seconds', benchServe: 'Mean/Median/P99 ITL (ms)', unit: 'ms' },
  { field: 'e2eMs', vllm: 'vllm:e2e_request_latency_seconds', benchServe: 'Mean/Median/P99 E2EL (ms)', unit: 'ms' },
  { field: 'queueMs', vllm: 'vllm:request_queue_time_seconds', benchServe: null, unit: 'ms' },
  { field: 'numPromptTokens', vllm: 'vllm:prompt_tokens', benchServe: 'Total input tokens', unit: 'tokens' },
  { field: 'numOutputTokens', vllm: 'vllm:generation_tokens', benchServe: 'Total generated tokens', unit: 'tokens' },
  { field: 'numCompleted', vllm: 'vllm:request_success', benchServe: 'Successful requests', unit: 'requests' },
  { field: 'requestThroughput', vllm: null, benchServe: 'Request throughput (req/s)', unit: 'req/s' },
  { field: 'outputTokenThroughput', vllm: null, benchServe: 'Output token throughput (tok/s)', unit: 'tok/s' },
  { field: 'totalTokenThroughput', vllm: null, benchServe: 'Total Token throughput (tok/s)', unit: 'tok/s' },
  { field: 'goodput.requestsPerS', vllm: null, benchServe: 'Request goodput (req/s)', unit: 'req/s' },
  { field: 'prefixCache.queries', vllm: 'vllm:prefix_cache_queries', benchServe: null, unit: 'tokens' },
  { field: 'prefixCache.hits', vllm: 'vllm:prefix_cache_hits', benchServe: null, unit: 'tokens' },
  { field: 'prefixCache.hitRate', vllm: null, benchServe: null, unit: 'fraction (hits / queries)' },
  { field: 'numPreemptions', vllm: 'vllm:num_preemptions', benchServe: null, unit: 'count' },
  { field: 'kv.usageMean', vllm: 'vllm:kv_cache_usage_perc', benchServe: null, unit: 'fraction 0-1 (duration-weighted mean of the gauge)' },
  { field: 'kv.usageMax', vllm: 'vllm:kv_cache_usage_perc', benchServe: null, unit: 'fraction 0-1 (peak of the gauge)' },
  { field: 'kv.internalFragmentation', vllm: null, benchServe: null, unit: 'fraction of allocated slots' },
  { field: 'system.numRunning', vllm: 'vllm:num_requests_running', benchServe: null, unit: 'requests' },
  { field: 'system.numWaiting', vllm: 'vllm:num_requests_waiting', benchServe: null, unit: 'requests' },
  { field: 'system.batchTokens', vllm: 'vllm:iteration_tokens_total', benchServe: null, unit: 'tokens per step' },
  { field: 'system.gpuBusyFraction', vllm: null, benchServe: null, unit: 'fraction of wall time' },
];

/**
 * What the workload generators and trace replay produce. Field names follow the scheduler's RequestSpec
 * (requestId, promptTokenIds, maxTokens, sampling.topP ...) so the engine maps one onto the other with
 * `{ ...req, arrivalTime: req.arrivalTimeS * 1000 }`; only the arrival time's unit differs (seconds here,
 * as in `vllm bench serve` and the published traces; the engine clock is in ms).
 */

/** Service-level objectives of one request, in ms (the units `vllm bench serve --goodput` takes). */
export interface WorkloadSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

export interface WorkloadSampling {
  temperature: number;
  topP: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** Seed of the request's sampler, drawn from the workload seed (so sampling is reproducible too). */
  seed: number;
}

export interface GeneratedRequest {
  requestId: string;
  /** Seconds since the run started. Non-decreasing in a generated list; set at release under a concurrency cap. */
  arrivalTimeS: number;
  tenant: string;
  model: string;
  /** Synthetic token ids in [firstTokenId, vocabSize); requests with the same shared prefix start with the same ids. */
  promptTokenIds: number[];
  /** Most new tokens to generate (the output length drawn from the workload's distribution or the trace). */
  maxTokens: number;
  /** Parallel samples; 1 for most requests. */
  n: number;
  sampling: WorkloadSampling;
  /** Lower is more urgent (the scheduler's `priority` policy). */
  priority: number;
  slo?: WorkloadSlo;
  /** Index of the shared system prompt this request starts with, or null. */
  sharedPrefix: number | null;
}

/**
 * The synthetic workload generator: a seeded list of requests (open loop; see WorkloadDriver for a
 * concurrency cap). Each aspect draws from its own named stream of the seed (Random.fork), so changing one
 * knob leaves the others' draws alone: a different rate moves arrival times only, a different output-length
 * distribution changes max_tokens only, and so on. Request i's prompt body comes from stream `tokens/i`.
 *
 * Per request, in order:
 *   arrival   <- arrivals stream (ArrivalSpec)
 *   tenant    <- tenants stream, by weight; the tenant may override model, priority and SLO
 *   prefix    <- prefix stream: with probability `sharedPrefix.ratio`, one of K shared prefixes (uniform)
 *   prompt    = [shared prefix (L ids)] + body, body length <- prompt-length stream (promptLength),
 *               so a request with a shared prefix has L + body tokens (vLLM's prefix_repetition dataset
 *               does the same: prefix_len + suffix_len)
 *   maxTokens <- output-length stream (outputLength)
 *   n         <- parallel stream: `parallelSampling.n` with probability `parallelSampling.ratio`, else 1
 *   seed      <- sampling-seed stream (a u32 per request)
 */
import { arrivalTimes, type ArrivalSpec } from './arrivals';
import { makeLengthSampler, type LengthSpec } from './lengths';
import { Random } from './random';
import { appendRandomTokens, checkVocab, makeSharedPrefixes } from './tokens';
import type { GeneratedRequest, WorkloadSlo } from './types';

export interface TenantMix {
  name: string;
  /** Relative share of requests (need not sum to 1). */
  weight: number;
  model?: string;
  priority?: number;
  slo?: WorkloadSlo;
}

export interface WorkloadConfig {
  seed: number;
  numRequests: number;
  arrival: ArrivalSpec;
  /** Length of the prompt body (after any shared prefix). */
  promptLength: LengthSpec;
  outputLength: LengthSpec;
  vocabSize: number;
  /** Lowest token id drawn; default 0. */
  firstTokenId?: number;
  /** Model id for tenants that do not name one; default 'default'. */
  model?: string;
  /** Default: one tenant 'default' with weight 1. */
  tenants?: TenantMix[];
  /** A fraction `ratio` of requests starts with one of `numPrefixes` prefixes of `length` tokens. */
  sharedPrefix?: { ratio: number; numPrefixes: number; length: number };
  /** A fraction `ratio` of requests asks for `n` parallel samples. */
  parallelSampling?: { ratio: number; n: number };
  /** Defaults: temperature 1, topP 1, topK 0 (off). */
  sampling?: { temperature?: number; topP?: number; topK?: number };
  /** Default priority (tenants may override); default 0. */
  priority?: number;
  /** Default SLO (tenants may override); default none. */
  slo?: WorkloadSlo;
  /** Request ids are `${idPrefix}${index}`; default 'req-'. */
  idPrefix?: string;
}

function checkRatio(what: string, r: number): void {
  if (!(r >= 0 && r <= 1)) throw new RangeError(`${what}: ratio must be in [0, 1], got ${r}`);
}

function checkSlo(what: string, slo: WorkloadSlo | undefined): void {
  if (!slo) return;
  for (const [k, v] of Object.entries(slo)) {
    if (v !== undefined && !(v > 0)) throw new RangeError(`${what}: SLO ${k} must be > 0 ms, got ${v}`);
  }
}

/** Throws a RangeError naming the first bad field. */
export function validateWorkloadConfig(c: WorkloadConfig): void {
  if (!Number.isInteger(c.numRequests) || c.numRequests < 0) throw new RangeError(`workload: numRequests must be an integer >= 0, got ${c.numRequests}`);
  checkVocab(c);
  const tenants = c.tenants ?? [];
  const names = new Set<string>();
  for (const t of tenants) {
    if (!t.name) throw new RangeError('workload: every tenant needs a name');
    if (names.has(t.name)) throw new RangeError(`workload: tenant '${t.name}' listed twice`);
    names.add(t.name);
    if (!(t.weight >= 0) || !Number.isFinite(t.weight)) throw new RangeError(`workload: tenant '${t.name}' weight must be >= 0, got ${t.weight}`);
    checkSlo(`workload: tenant '${t.name}'`, t.slo);
  }
  if (tenants.length > 0 && !tenants.some((t) => t.weight > 0)) throw new RangeError('workload: tenant weights sum to 0');
  checkSlo('workload', c.slo);
  if (c.sharedPrefix) {
    const p = c.sharedPrefix;
    checkRatio('workload sharedPrefix', p.ratio);
    if (!Number.isInteger(p.numPrefixes) || p.numPrefixes < 1) throw new RangeError(`workload sharedPrefix: numPrefixes must be an integer >= 1, got ${p.numPrefixes}`);
    if (!Number.isInteger(p.length) || p.length < 1) throw new RangeError(`workload sharedPrefix: length must be an integer >= 1, got ${p.length}`);
  }
  if (c.parallelSampling) {
    checkRatio('workload parallelSampling', c.parallelSampling.ratio);
    if (!Number.isInteger(c.parallelSampling.n) || c.parallelSampling.n < 1) throw new RangeError(`workload parallelSampling: n must be an integer >= 1, got ${c.parallelSampling.n}`);
  }
  const s = c.sampling ?? {};
  if (s.temperature !== undefined && !(s.temperature >= 0)) throw new RangeError(`workload sampling: temperature must be >= 0, got ${s.temperature}`);
  if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) throw new RangeError(`workload sampling: topP must be in (0, 1], got ${s.topP}`);
  if (s.topK !== undefined && !(Number.isInteger(s.topK) && s.topK >= 0)) throw new RangeError(`workload sampling: topK must be an integer >= 0, got ${s.topK}`);
}

/** The whole workload, sorted by arrival time (ids in arrival order). */
export function generateWorkload(c: WorkloadConfig): GeneratedRequest[] {
  validateWorkloadConfig(c);
  const root = new Random(c.seed);
  const arrivals = arrivalTimes(c.arrival, c.numRequests, root.fork('arrivals'));
  const tenantRng = root.fork('tenants');
  const prefixRng = root.fork('prefix');
  const promptLenRng = root.fork('prompt-length');
  const outputLenRng = root.fork('output-length');
  const parallelRng = root.fork('parallel');
  const seedRng = root.fork('sampling-seed');
  const promptLen = makeLengthSampler(c.promptLength);
  const outputLen = makeLengthSampler(c.outputLength);
  const tenants: TenantMix[] = c.tenants && c.tenants.length > 0 ? c.tenants : [{ name: 'default', weight: 1 }];
  const weights = tenants.map((t) => t.weight);
  const prefixes = c.sharedPrefix ? makeSharedPrefixes(root.fork('shared-prefixes'), c.sharedPrefix.numPrefixes, c.sharedPrefix.length, c) : [];
  const temperature = c.sampling?.temperature ?? 1;
  const topP = c.sampling?.topP ?? 1;
  const topK = c.sampling?.topK ?? 0;
  const idPrefix = c.idPrefix ?? 'req-';

  const out: GeneratedRequest[] = [];
  for (let i = 0; i < c.numRequests; i++) {
    const tenant = tenants.length === 1 ? tenants[0]! : tenants[tenantRng.weightedIndex(weights)]!;
    // Always draw from each stream, even when the feature is off for this request, so that request i's
    // draws do not depend on earlier requests' outcomes.
    const prefixDraw = prefixRng.next();
    const prefixPick = prefixes.length > 0 ? prefixRng.int(0, prefixes.length - 1) : 0;
    const sharedPrefix = c.sharedPrefix && prefixDraw < c.sharedPrefix.ratio ? prefixPick : null;
    const bodyLen = promptLen(promptLenRng);
    const promptTokenIds = sharedPrefix !== null ? prefixes[sharedPrefix]!.slice() : [];
    appendRandomTokens(root.fork(`tokens/${i}`), bodyLen, c, promptTokenIds);
    const maxTokens = outputLen(outputLenRng);
    const n = c.parallelSampling && parallelRng.next() < c.parallelSampling.ratio ? c.parallelSampling.n : 1;
    const slo = tenant.slo ?? c.slo;
    const req: GeneratedRequest = {
      requestId: `${idPrefix}${i}`,
      arrivalTimeS: arrivals[i]!,
      tenant: tenant.name,
      model: tenant.model ?? c.model ?? 'default',
      promptTokenIds,
      maxTokens,
      n,
      sampling: { temperature, topP, topK, seed: seedRng.nextUint32() },
      priority: tenant.priority ?? c.priority ?? 0,
      sharedPrefix,
    };
    if (slo) req.slo = { ...slo };
    out.push(req);
  }
  return out;
}

/**
 * Our side of the baseline comparison: the real engine as `npm run generate` and the serving bench drive
 * it (EngineService -> scheduler -> paged KV pool -> GpuModel, one submit per step, sampling on the GPU),
 * with every request submitted at once and the engine stepped until all have finished.
 *
 * Greedy sampling; the model's EOS ids are removed from its config, so every request generates exactly
 * maxTokens tokens (vLLM's ignore_eos), the same work transformers.js does with eos_token_id null.
 * Prefix caching is off, so no request reuses another's (or an earlier repetition's) prompt pages.
 */
import type { GpuContext } from '../../gpu';
import { gpuModel } from '../../engine/gpu-models';
import { EngineService, type EngineSetup } from '../../engine/service';
import type { WeightSource } from '../../model/weights';
import type { Timeline } from './timeline';

const TOKENS_PER_PAGE = 16;

export class EngineSide {
  private numSubmitted = 0;

  private constructor(
    private readonly svc: EngineService,
    private readonly setup: EngineSetup,
  ) {}

  /** Loads `weights` into a fresh engine sized for `maxConcurrent` requests of `maxLen` tokens each. */
  static async create(gpu: GpuContext, weights: WeightSource, o: { maxConcurrent: number; maxLen: number; maxPromptLen: number }): Promise<EngineSide> {
    const noEos: WeightSource = { ...weights, config: { ...weights.config, eosIds: [] } };
    // Pages to hold every request at once (+ the NULL page and a spare); a token budget that prefills all prompts in one step.
    const numPages = 2 + o.maxConcurrent * Math.ceil(o.maxLen / TOKENS_PER_PAGE);
    const setup: EngineSetup = {
      backend: { kind: 'gpu' },
      numPages,
      tokensPerPage: TOKENS_PER_PAGE,
      scheduler: {
        tenants: [{ id: 'bench' }],
        maxNumBatchedTokens: Math.max(16, o.maxConcurrent * o.maxPromptLen),
        maxNumSeqs: o.maxConcurrent,
        enablePrefixCaching: false,
      },
    };
    const svc = new EngineService(1000, async () => gpu);
    svc.configure(setup);
    await svc.loadModel('m', gpuModel(async () => gpu, async () => ({ weights: noEos }), { maxModelLen: o.maxLen }));
    return new EngineSide(svc, setup);
  }

  /**
   * Submits every prompt at once (greedy, `maxTokens` new tokens each) and steps until all are done. A
   * token's time is when its event reached the listener (the engine may deliver a step's tokens while
   * the next step runs on the GPU); the events of one synchronous delivery (one step's tokens of every
   * request) share one time, so arrival times count delivery rounds, not requests.
   */
  async run(prompts: readonly (readonly number[])[], maxTokens: number): Promise<Timeline> {
    const tokens: number[][] = prompts.map(() => []);
    const times: number[][] = prompts.map(() => []);
    const failures: string[] = [];
    let roundTime: number | null = null;
    const now = () => {
      if (roundTime === null) {
        roundTime = performance.now();
        queueMicrotask(() => (roundTime = null));
      }
      return roundTime;
    };
    const startMs = performance.now();
    prompts.forEach((p, i) => {
      this.svc.submit(
        { requestId: `baseline-${this.numSubmitted++}`, tenant: 'bench', model: 'm', promptTokenIds: p, maxTokens, sampling: { temperature: 0, topP: 1, topK: 0, seed: 0 } },
        (e) => {
          if (e.kind === 'token') {
            const t = now();
            for (const id of e.tokenIds) {
              tokens[i]!.push(id);
              times[i]!.push(t);
            }
          } else if (e.kind === 'finished' && e.reason !== 'length') failures.push(`request ${i}: ${e.reason} (${e.detail ?? 'no detail'})`);
        },
      );
    });
    const engine = this.svc.currentEngine!;
    while (engine.numUnfinished > 0) await engine.step();
    const endMs = performance.now();
    if (failures.length) throw new Error(`our engine did not finish every request with its ${maxTokens} tokens: ${failures.join('; ')}`);
    return { tokens, times, startMs, endMs };
  }

  /** Releases the model and the KV pool (configure() resets the engine). */
  dispose(): void {
    this.svc.configure(this.setup);
    this.svc.flush();
  }
}

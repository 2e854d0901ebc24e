/**
 * Headless generation (`npm run generate`): one text prompt through the whole engine (scheduler, paged
 * KV pool, GPU forward, GPU sampling) on any model src/model reads. DOM-free, so the same function runs
 * in the Chrome page (generate-page.ts) and in Node on Dawn (`--runtime node`).
 */
import { acquireGpu, adapterLine, type AcquireOptions } from '../gpu';
import { gpuModel } from '../engine/gpu-models';
import { EngineService } from '../engine/service';
import { openModel, type ByteInput } from '../model';

export interface GenerateOptions {
  /** File name -> contents or URL, as openModel takes them (a folder's files, or one .gguf / .bin [+ tokenizer]). */
  files: Record<string, ByteInput>;
  prompt: string;
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  seed: number;
  acquire?: AcquireOptions;
}

export interface GenerateResult {
  prompt: string;
  prompt_token_ids: number[];
  generated_token_ids: number[];
  /** The continuation only (the prompt is not repeated). */
  text: string;
  /** 'length' (maxTokens or the model's context), 'stop' (an EOS token), or why the engine refused. */
  finish_reason: string;
  finish_detail: string | null;
  adapter: string;
  model: string;
}

/** Tokens per KV page; the pool holds exactly one sequence of prompt + maxTokens (+ a spare page). */
const TOKENS_PER_PAGE = 16;

export async function generate(gpuObject: GPU | undefined, o: GenerateOptions, log: (m: string) => void = () => {}): Promise<GenerateResult> {
  const gpu = await acquireGpu(gpuObject, o.acquire);
  try {
    const loaded = await openModel(o.files);
    if (!loaded.tokenizer) throw new Error('the model comes without a tokenizer (for a llama2.c .bin, give its tokenizer .bin)');
    const c = loaded.weights.config;
    const promptIds = loaded.tokenizer.encode(o.prompt, { bos: true });
    const total = Math.min(c.maxSeqLen, promptIds.length + o.maxTokens);
    const service = new EngineService(1000, async () => gpu);
    service.configure({
      backend: { kind: 'gpu' },
      numPages: Math.ceil(total / TOKENS_PER_PAGE) + 2,
      tokensPerPage: TOKENS_PER_PAGE,
      // One request: the prompt in chunks of up to 256 tokens, then one decode per step.
      scheduler: { tenants: [{ id: 'cli' }], maxNumBatchedTokens: Math.max(16, Math.min(256, promptIds.length)), maxNumSeqs: 1 },
    });
    const info = await service.loadModel('model', gpuModel(async () => gpu, async () => loaded, { maxModelLen: total }));
    log(`model: ${info.label} (${info.note}); adapter: ${adapterLine(gpu.info)}`);
    const generated: number[] = [];
    let text = '';
    let finish: { reason: string; detail: string | null } | null = null;
    const ids = service.submitText(
      { requestId: 'generate', tenant: 'cli', model: 'model', prompt: o.prompt, maxTokens: o.maxTokens, sampling: { temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed } },
      (e) => {
        if (e.kind === 'token') {
          generated.push(...e.tokenIds);
          text += e.text ?? '';
        } else if (e.kind === 'finished') finish = { reason: e.reason, detail: e.detail };
      },
    );
    const engine = service.currentEngine!;
    while (engine.numUnfinished > 0) await engine.step();
    const f = finish as { reason: string; detail: string | null } | null;
    if (!f) throw new Error('the engine stopped without finishing the request');
    if (f.reason === 'rejected' || f.reason === 'cancelled') throw new Error(`the engine ${f.reason} the request: ${f.detail ?? 'no reason given'}`);
    service.unloadModel('model');
    return {
      prompt: o.prompt,
      prompt_token_ids: ids,
      generated_token_ids: generated,
      text,
      finish_reason: f.reason,
      finish_detail: f.detail,
      adapter: adapterLine(gpu.info),
      model: info.label,
    };
  } finally {
    gpu.device.destroy();
  }
}

// The project's loader (src/model/load.ts: config.json + model.safetensors + tokenizer.json) and its
// plain-TS float64 reference forward pass must reproduce export.py's numpy greedy continuations of the
// built-in model token for token (public/models/playstories-0.9m/reference-greedy.json).
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { openModel } from '../../src/model/load';
import { collectFloat32 } from '../../src/model/weights';
import { ReferenceModel, greedyGenerate } from '../../src/model/reference';

const dir = 'public/models/playstories-0.9m';
const file = (n: string) => new Uint8Array(readFileSync(`${dir}/${n}`)).buffer;

test('TS loader + reference reproduce the numpy greedy reference', async () => {
  const ref = JSON.parse(readFileSync(`${dir}/reference-greedy.json`, 'utf8'));
  const { weights, tokenizer } = await openModel({
    'config.json': file('config.json'), 'model.safetensors': file('model.safetensors'),
    'tokenizer.json': file('tokenizer.json'), 'tokenizer_config.json': file('tokenizer_config.json'),
  });
  const model = new ReferenceModel(weights.config, await collectFloat32(weights));
  for (const r of ref.results) {
    expect(tokenizer!.encode(r.prompt)).toEqual(r.prompt_token_ids);
    const gen = greedyGenerate(model, r.prompt_token_ids, { maxNewTokens: ref.max_new_tokens, stopIds: [ref.eos_token_id] });
    expect(gen).toEqual(r.generated_token_ids);
    console.log(`${r.prompt}: ${gen.length} tokens identical`);
  }
});

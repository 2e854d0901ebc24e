import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseGenerateArgs, resolveModelFiles } from '../../../src/bench/generate.mjs';

const BUILTIN = 'public/models/playstories-0.9m';

describe('generate CLI arguments', () => {
  test('defaults: greedy, 64 tokens, Chrome', () => {
    const o = parseGenerateArgs(['--model', BUILTIN, '--prompt', 'Hi']);
    expect(o).toMatchObject({ help: false, prompt: 'Hi', maxTokens: 64, temperature: 0, topP: 1, topK: 0, seed: 0, json: false, runtime: 'browser' });
  });

  test('sampling options are parsed', () => {
    const o = parseGenerateArgs(['--model', BUILTIN, '--prompt', '', '--max-tokens', '5', '--temperature', '0.8', '--top-p', '0.9', '--top-k', '40', '--seed', '7', '--json', '--runtime', 'node']);
    expect(o).toMatchObject({ prompt: '', maxTokens: 5, temperature: 0.8, topP: 0.9, topK: 40, seed: 7, json: true, runtime: 'node' });
  });

  test('--help needs nothing else', () => {
    expect(parseGenerateArgs(['-h']).help).toBe(true);
  });

  test.each([
    [['--prompt', 'x'], /--model PATH is required[\s\S]*Usage: npm run generate/],
    [['--model', BUILTIN], /--prompt TEXT is required/],
    [['--model', '/no/such/model', '--prompt', 'x'], /--model \/no\/such\/model: no such file or folder/],
    [['--model', BUILTIN, '--prompt', 'x', '--max-tokens', '0'], /--max-tokens must be a whole number >= 1, not "0"/],
    [['--model', BUILTIN, '--prompt', 'x', '--max-tokens', '2.5'], /--max-tokens must be a whole number/],
    [['--model', BUILTIN, '--prompt', 'x', '--max-tokens', ''], /--max-tokens must be a whole number/],
    [['--model', BUILTIN, '--prompt', 'x', '--temperature=-1'], /--temperature must be a number >= 0/],
    [['--model', BUILTIN, '--prompt', 'x', '--temperature', 'hot'], /--temperature must be a number/],
    [['--model', BUILTIN, '--prompt', 'x', '--top-p', '0'], /--top-p must be a number > 0 and <= 1, not "0"/],
    [['--model', BUILTIN, '--prompt', 'x', '--top-p', '1.5'], /--top-p must be a number > 0 and <= 1/],
    [['--model', BUILTIN, '--prompt', 'x', '--top-k=-3'], /--top-k must be a whole number >= 0/],
    [['--model', BUILTIN, '--prompt', 'x', '--seed', '1e12'], /--seed must be a whole number >= 0 and <= 4294967295/],
    [['--model', BUILTIN, '--prompt', 'x', '--runtime', 'deno'], /--runtime must be browser or node, not "deno"/],
    [['--model', BUILTIN, '--prompt', 'x', '--adapter', 'metal'], /--adapter must be auto, hardware or swiftshader/],
    [['--model', BUILTIN, '--prompt', 'x', '--chrome', '/no/chrome'], /--chrome \/no\/chrome: no such file/],
    [['--model', BUILTIN, '--prompt', 'x', '--tokenizer', '/no/tok.bin'], /--tokenizer \/no\/tok.bin: no such file/],
    [['--model', BUILTIN, '--prompt', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
  ])('%j is refused with a clear message', (argv, message) => {
    expect(() => parseGenerateArgs(argv)).toThrow(message);
  });
});

describe('model files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sp-generate-'));
    for (const sub of ['hf', 'hf-no-weights', 'hf-no-tok', 'sharded', 'gguf', 'two-gguf', 'l2c', 'l2c-named', 'l2c-none', 'empty']) mkdirSync(join(dir, sub));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(dir, 'hf', f), '{}');
    writeFileSync(join(dir, 'hf-no-weights', 'config.json'), '{}');
    writeFileSync(join(dir, 'hf-no-weights', 'tokenizer.json'), '{}');
    writeFileSync(join(dir, 'hf-no-tok', 'config.json'), '{}');
    writeFileSync(join(dir, 'hf-no-tok', 'model.safetensors'), '');
    writeFileSync(join(dir, 'sharded', 'config.json'), '{}');
    writeFileSync(join(dir, 'sharded', 'tokenizer.json'), '{}');
    writeFileSync(join(dir, 'sharded', 'model-1.safetensors'), '');
    writeFileSync(join(dir, 'sharded', 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: 'model-2.safetensors' } }));
    writeFileSync(join(dir, 'gguf', 'm.gguf'), '');
    writeFileSync(join(dir, 'two-gguf', 'a.gguf'), '');
    writeFileSync(join(dir, 'two-gguf', 'b.gguf'), '');
    writeFileSync(join(dir, 'l2c', 'model.bin'), '');
    writeFileSync(join(dir, 'l2c', 'tok512.bin'), '');
    writeFileSync(join(dir, 'l2c-named', 'model.bin'), '');
    writeFileSync(join(dir, 'l2c-named', 'tokenizer.bin'), '');
    writeFileSync(join(dir, 'l2c-named', 'tok999.bin'), '');
    writeFileSync(join(dir, 'l2c-none', 'model.bin'), '');
    writeFileSync(join(dir, 'l2c-none', 'vocab.bin'), '');
    writeFileSync(join(dir, 'empty', 'notes.txt'), '');
  });

  test('a Hugging Face folder: config, weights, tokenizer and its config', () => {
    const r = resolveModelFiles(join(dir, 'hf'));
    expect(Object.keys(r.files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(r.dirs).toEqual([join(dir, 'hf')]);
    // A .safetensors file means its folder.
    expect(resolveModelFiles(join(dir, 'hf', 'model.safetensors')).kind).toBe('hf');
  });

  test('the built-in model resolves as a Hugging Face folder', () => {
    expect(resolveModelFiles(BUILTIN).kind).toBe('hf');
  });

  test('a .gguf alone, or a folder holding one', () => {
    expect(Object.keys(resolveModelFiles(join(dir, 'gguf', 'm.gguf')).files)).toEqual(['m.gguf']);
    expect(resolveModelFiles(join(dir, 'gguf')).kind).toBe('gguf');
  });

  test('a llama2.c .bin finds tokenizer.bin first, then tok*.bin, or takes --tokenizer', () => {
    expect(Object.keys(resolveModelFiles(join(dir, 'l2c', 'model.bin')).files).sort()).toEqual(['model.bin', 'tok512.bin']);
    expect(resolveModelFiles(join(dir, 'l2c-named', 'model.bin')).files['tokenizer.bin']).toBe(join(dir, 'l2c-named', 'tokenizer.bin'));
    const r = resolveModelFiles(join(dir, 'l2c-none', 'model.bin'), join(dir, 'l2c-none', 'vocab.bin'));
    // openModel tells the tokenizer by "tok" in its name.
    expect(r.files['tokenizer.bin']).toBe(join(dir, 'l2c-none', 'vocab.bin'));
  });

  test.each([
    ['hf-no-weights', /needs model.safetensors beside config.json/],
    ['hf-no-tok', /tokenizer.json is missing/],
    ['sharded', /shard model-2.safetensors .* is missing/],
    ['two-gguf', /several .gguf files \(a.gguf, b.gguf\)/],
    ['empty', /neither a Hugging Face folder/],
    ['empty/notes.txt', /not a model this tool reads/],
    ['l2c-none/model.bin', /needs its tokenizer .* give --tokenizer PATH/],
    ['l2c/tok512.bin', /looks like a tokenizer, not a checkpoint/],
  ])('%s is refused with a clear message', (sub, message) => {
    expect(() => resolveModelFiles(join(dir, sub))).toThrow(message);
  });
});

#!/usr/bin/env node
// @ts-check
// `npm run generate -- --model PATH --prompt TEXT [options]`: runs the engine in headless Chrome (or in
// Node on Dawn) on a model folder or file and prints the continuation. See docs/generate.md.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { needsVulkanLoaderReexec, openPage, reexecWithVulkanLoader, ROOT } from './browser-page.mjs';

const USAGE = `Usage: npm run generate -- --model PATH --prompt TEXT [options]
  --model PATH         a Hugging Face folder (config.json, model.safetensors, tokenizer.json), a .gguf file,
                       or a llama2.c .bin (its tokenizer .bin beside it, or --tokenizer)
  --prompt TEXT        the prompt (BOS is prepended)
  --max-tokens N       tokens to generate (default 64); generation also stops at the model's EOS
  --temperature T      0 = greedy (default 0)
  --top-p P            nucleus sampling, 0 < P <= 1 (default 1)
  --top-k K            keep the K most likely tokens, 0 = off (default 0)
  --seed S             sampling seed, a whole number (default 0)
  --tokenizer PATH     the llama2.c tokenizer .bin for a .bin model (default: tokenizer.bin or tok*.bin beside it)
  --json               print {prompt, prompt_token_ids, generated_token_ids, text, finish_reason, adapter} as JSON
  --runtime R          browser (headless Chrome, default) | node (Dawn, the "webgpu" package)
  --adapter A          auto (default) | hardware | swiftshader
  --chrome PATH        Chrome/Chromium executable (default: $CHROME_PATH, then the usual places)
  -h, --help           this text`;

/**
 * @param {string} flag @param {string} v @param {{ integer?: boolean, min?: number, max?: number, minExclusive?: boolean }} rule
 */
function number(flag, v, rule) {
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (!rule.integer || Number.isInteger(n)) && (rule.min === undefined || (rule.minExclusive ? n > rule.min : n >= rule.min)) && (rule.max === undefined || n <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    const range = rule.min !== undefined ? ` ${rule.minExclusive ? '>' : '>='} ${rule.min}${rule.max !== undefined ? ` and <= ${rule.max}` : ''}` : '';
    throw new Error(`${flag} must be ${kind}${range}, not "${v}".`);
  }
  return n;
}

/** Parses and checks the arguments; throws an Error whose message is meant for the user. */
export function parseGenerateArgs(/** @type {string[]} */ argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        'max-tokens': { type: 'string', default: '64' },
        temperature: { type: 'string', default: '0' },
        'top-p': { type: 'string', default: '1' },
        'top-k': { type: 'string', default: '0' },
        seed: { type: 'string', default: '0' },
        tokenizer: { type: 'string' },
        json: { type: 'boolean', default: false },
        runtime: { type: 'string', default: 'browser' },
        adapter: { type: 'string', default: process.env['WEBGPU_ADAPTER'] ?? 'auto' },
        chrome: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new Error(`${/** @type {Error} */ (e).message}\n\n${USAGE}`);
  }
  if (values.help) return { help: true };
  if (!values.model) throw new Error(`--model PATH is required.\n\n${USAGE}`);
  if (values.prompt === undefined) throw new Error(`--prompt TEXT is required.\n\n${USAGE}`);
  if (!['browser', 'node'].includes(values.runtime)) throw new Error(`--runtime must be browser or node, not "${values.runtime}".`);
  if (!['auto', 'hardware', 'swiftshader'].includes(values.adapter)) throw new Error(`--adapter must be auto, hardware or swiftshader, not "${values.adapter}".`);
  if (values.chrome && !existsSync(values.chrome)) throw new Error(`--chrome ${values.chrome}: no such file.`);
  const maxTokens = number('--max-tokens', values['max-tokens'], { integer: true, min: 1 });
  const temperature = number('--temperature', values.temperature, { min: 0 });
  const topP = number('--top-p', values['top-p'], { min: 0, max: 1, minExclusive: true });
  const topK = number('--top-k', values['top-k'], { integer: true, min: 0 });
  const seed = number('--seed', values.seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const model = resolveModelFiles(values.model, values.tokenizer);
  return { help: false, prompt: values.prompt, maxTokens, temperature, topP, topK, seed, json: values.json, runtime: values.runtime, adapter: values.adapter, chrome: values.chrome, model };
}

/**
 * Which files make the model at `path`: name -> absolute path, and the folders the page must read.
 * A folder: config.json + its safetensors (+ index) + tokenizer.json (+ tokenizer_config.json), or its
 * one .gguf; a .gguf alone; a llama2.c .bin with its tokenizer .bin; a .safetensors file means its folder.
 * @param {string} path @param {string} [tokenizer]
 * @returns {{ files: Record<string, string>, dirs: string[], kind: string }}
 */
export function resolveModelFiles(path, tokenizer) {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`--model ${path}: no such file or folder.`);
  if (tokenizer !== undefined && !existsSync(tokenizer)) throw new Error(`--tokenizer ${tokenizer}: no such file.`);
  if (statSync(abs).isDirectory()) return folderFiles(abs, path);
  const ext = extname(abs).toLowerCase();
  if (ext === '.gguf') return { files: { [basename(abs)]: abs }, dirs: [dirname(abs)], kind: 'gguf' };
  if (ext === '.safetensors') return folderFiles(dirname(abs), dirname(path));
  if (ext === '.bin') {
    if (/tok/i.test(basename(abs))) throw new Error(`--model ${path}: that looks like a tokenizer, not a checkpoint (its name contains "tok").`);
    const tok = tokenizer !== undefined ? resolve(tokenizer) : findLlama2cTokenizer(abs);
    if (!tok) throw new Error(`--model ${path}: a llama2.c checkpoint needs its tokenizer (tokenizer.bin or tok*.bin beside it); none found, give --tokenizer PATH.`);
    // openModel tells the tokenizer by "tok" in its name; give it one that has it.
    const tokName = /tok/i.test(basename(tok)) ? basename(tok) : 'tokenizer.bin';
    return { files: { [basename(abs)]: abs, [tokName]: tok }, dirs: [...new Set([dirname(abs), dirname(tok)])], kind: 'llama2.c' };
  }
  throw new Error(`--model ${path}: not a model this tool reads (a Hugging Face folder, a .gguf, or a llama2.c .bin).`);
}

/** @param {string} dir @param {string} shown */
function folderFiles(dir, shown) {
  const names = readdirSync(dir);
  const has = (/** @type {string} */ n) => names.includes(n);
  if (has('config.json')) {
    /** @type {Record<string, string>} */
    const files = { 'config.json': join(dir, 'config.json') };
    if (has('model.safetensors.index.json')) {
      const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
      const shards = [...new Set(Object.values(index?.weight_map ?? {}))];
      for (const s of shards) {
        if (!has(String(s))) throw new Error(`--model ${shown}: shard ${s} (listed in model.safetensors.index.json) is missing.`);
        files[String(s)] = join(dir, String(s));
      }
      files['model.safetensors.index.json'] = join(dir, 'model.safetensors.index.json');
    } else if (has('model.safetensors')) {
      files['model.safetensors'] = join(dir, 'model.safetensors');
    } else {
      throw new Error(`--model ${shown}: a Hugging Face folder needs model.safetensors beside config.json; it is missing.`);
    }
    if (!has('tokenizer.json')) throw new Error(`--model ${shown}: tokenizer.json is missing (needed to encode the prompt).`);
    files['tokenizer.json'] = join(dir, 'tokenizer.json');
    if (has('tokenizer_config.json')) files['tokenizer_config.json'] = join(dir, 'tokenizer_config.json');
    return { files, dirs: [dir], kind: 'hf' };
  }
  const ggufs = names.filter((n) => n.toLowerCase().endsWith('.gguf'));
  const [gguf] = ggufs;
  if (gguf !== undefined && ggufs.length === 1) return { files: { [gguf]: join(dir, gguf) }, dirs: [dir], kind: 'gguf' };
  if (ggufs.length > 1) throw new Error(`--model ${shown}: several .gguf files (${ggufs.join(', ')}); name one.`);
  throw new Error(`--model ${shown}: neither a Hugging Face folder (no config.json) nor a folder with one .gguf; name the model file.`);
}

/** tokenizer.bin beside the checkpoint, else the first tok*.bin there. @param {string} model */
function findLlama2cTokenizer(model) {
  const dir = dirname(model);
  const names = readdirSync(dir).sort();
  if (names.includes('tokenizer.bin')) return join(dir, 'tokenizer.bin');
  const tok = names.find((n) => /^tok.*\.bin$/i.test(n) && join(dir, n) !== model);
  return tok ? join(dir, tok) : undefined;
}

const progress = (/** @type {string} */ msg) => process.stderr.write(`${msg}\n`);

/** @param {any} o @param {Record<string, any>} files */
function genOptions(o, files) {
  return { files, prompt: o.prompt, maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed };
}

/** @param {any} o */
async function runInBrowser(o) {
  const p = await openPage({ pagePath: 'generate.html', adapter: o.adapter, chrome: o.chrome, allow: o.model.dirs, log: (m) => progress(`  ${m}`) });
  try {
    /** @type {Record<string, string>} */
    const urls = {};
    for (const [name, abs] of Object.entries(o.model.files)) urls[name] = `/@fs${abs}`;
    const r = await p.page.evaluate((opts) => window.runGenerate(opts), genOptions(o, urls));
    if (p.errors.length && !('error' in r)) throw new Error(`page errors: ${p.errors.join('; ')}`);
    // Errors name files by the URL the page fetched; show the path the user gave.
    if ('error' in r) return { error: r.error.replaceAll('/@fs/', '/') };
    return r;
  } finally {
    await p.close();
  }
}

/** @param {any} o */
async function runInNode(o) {
  const { nodeGpu } = await import('./node-gpu.mjs');
  const { createServer } = await import('vite');
  const server = await createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'error', server: { middlewareMode: true, hmr: false, watch: null } });
  try {
    const mod = await server.ssrLoadModule('/src/bench/generate-run.ts');
    const g = await nodeGpu(o.adapter);
    progress(`  Dawn backend: ${g.backend} (${g.featureLevel})`);
    /** @type {Record<string, ArrayBuffer>} */
    const files = {};
    for (const [name, abs] of Object.entries(o.model.files)) {
      const b = readFileSync(abs);
      files[name] = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
    try {
      return await mod.generate(g.gpu, { ...genOptions(o, files), acquire: { featureLevel: g.featureLevel } }, (/** @type {string} */ m) => progress(`  ${m}`));
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  } finally {
    await server.close();
  }
}

async function main() {
  let o;
  try {
    o = parseGenerateArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`generate: ${/** @type {Error} */ (e).message}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(USAGE);
    return;
  }
  if (o.runtime === 'node' && needsVulkanLoaderReexec()) reexecWithVulkanLoader();
  let r;
  try {
    r = o.runtime === 'node' ? await runInNode(o) : await runInBrowser(o);
  } catch (e) {
    r = { error: /** @type {Error} */ (e).message ?? String(e) };
  }
  if ('error' in r) {
    console.error(`generate: ${String(r.error).split('\n')[0]}`);
    process.exit(1);
  }
  if (o.json) {
    const { prompt, prompt_token_ids, generated_token_ids, text, finish_reason, adapter } = r;
    console.log(JSON.stringify({ prompt, prompt_token_ids, generated_token_ids, text, finish_reason, adapter, finish_detail: r.finish_detail, model: r.model }));
  } else {
    progress(`  ${r.model}: prompt ${JSON.stringify(r.prompt)} (${r.prompt_token_ids.length} tokens) -> ${r.generated_token_ids.length} tokens, ${r.finish_reason} (${r.finish_detail}); ${r.adapter}`);
    console.log(r.text);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`generate: ${e?.message ?? e}`);
    process.exit(1);
  });
}

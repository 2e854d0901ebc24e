/**
 * Tokenizers: llama2.c tok512.bin encodes as run.c (checked against the HF tokenizer.json of the same
 * vocabulary, which FORMAT.md says agrees with run.c on tricky and random strings), the GGUF-metadata
 * tokenizer equals tok512.bin, and streaming decode never splits a multi-byte character.
 */
import { describe, expect, test } from 'vitest';
import { openGguf, ArrayBufferSource, HfTokenizer, Llama2cTokenizer, TokenizerError, TruncatedFileError, type Tokenizer } from '../../../src/model';
import { mulberry32 } from '../../util/rng';
import { HAVE_STORIES, storiesFile } from './shared';

const TRICKY = [
  'Once upon a time',
  '',
  ' ',
  '  two leading spaces',
  'trailing space ',
  'multiple   spaces',
  'line\nbreak',
  'crlf\r\nline',
  'tab\there',
  'digits 0123456789',
  'caf\u00e9 na\u00efve r\u00e9sum\u00e9',
  '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8',
  'emoji \u{1F600}\u{1F389}',
  'family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  'flag \u{1F1EB}\u{1F1F7}',
  '\u201ccurly quotes\u201d',
  'nbsp\u00a0here',
  'The cat sat on the mat. It was happy!',
];

function randomString(r: () => number): string {
  const alphabet = ['a', 'b', 'e', 't', 'h', ' ', ' ', 'o', 'n', 'S', '.', ',', '\n', '!', '\u00e9', '\u4e2d', '\u{1F600}', '1', "'", 'x'];
  const n = Math.floor(r() * 24);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]!;
  return s;
}

/** Decodes ids one by one through the streaming decoder; returns the chunks. */
function streamChunks(t: Tokenizer, ids: number[], context: number[] = []): string[] {
  const d = t.streamDecoder(context);
  const out = ids.map((id) => d.push(id));
  out.push(d.flush());
  return out;
}

describe.skipIf(!HAVE_STORIES)('stories260K tokenizers', () => {
  const tok = () => Llama2cTokenizer.fromBytes(storiesFile('tok512.bin'), 512, 'tok512.bin');
  const hf = () => new HfTokenizer(JSON.parse(new TextDecoder().decode(storiesFile('tokenizer.json'))), JSON.parse(new TextDecoder().decode(storiesFile('tokenizer_config.json'))));

  test('tok512.bin structure: BOS/EOS, byte pieces, the lone space', () => {
    const t = tok();
    expect(t.vocabSize).toBe(512);
    expect(t.tokenText(1)).toBe('\n<s>\n');
    expect(t.tokenText(3)).toBe('<0x00>');
    expect(t.tokenText(410)).toBe(' ');
    expect(t.encode('')).toEqual([1]);
    expect(t.encode('', { bos: false })).toEqual([]);
  });

  test(`llama2.c encode equals the HF tokenizer on ${TRICKY.length} tricky and 1000 random strings`, () => {
    const t = tok();
    const h = hf();
    for (const s of TRICKY) expect(t.encode(s), JSON.stringify(s)).toEqual(h.encode(s));
    const r = mulberry32(5);
    for (let i = 0; i < 1000; i++) {
      const s = randomString(r);
      expect(t.encode(s), JSON.stringify(s)).toEqual(h.encode(s));
    }
  });

  test('the GGUF metadata tokenizer equals tok512.bin', async () => {
    const g = await openGguf(new ArrayBufferSource(storiesFile('stories260K.gguf'), 'stories260K.gguf'));
    const fromGguf = Llama2cTokenizer.fromGguf(g.header.metadata);
    const t = tok();
    const r = mulberry32(6);
    for (const s of [...TRICKY, ...Array.from({ length: 300 }, () => randomString(r))]) {
      expect(fromGguf.encode(s), JSON.stringify(s)).toEqual(t.encode(s));
      expect(fromGguf.decode(t.encode(s))).toEqual(t.decode(t.encode(s)));
    }
  });

  test('decode round-trips (llama2.c drops the dummy-prefix space after BOS, as run.c prints)', () => {
    const t = tok();
    const h = hf();
    for (const s of TRICKY) {
      expect(t.decode(t.encode(s)), JSON.stringify(s)).toBe(s);
      expect(h.decode(h.encode(s)), JSON.stringify(s)).toBe(s);
    }
  });

  test('streaming decode emits emoji and CJK whole, even when they arrive as byte tokens', () => {
    for (const t of [tok(), hf()]) {
      for (const s of ['\u{1F600} smile', 'Once \u65e5\u672c \u{1F468}\u200D\u{1F469}\u200D\u{1F467} end', 'caf\u00e9 \u{1F1EB}\u{1F1F7}']) {
        const ids = t.encode(s);
        // The emoji is spelled with byte-fallback tokens (4 ids for 4 UTF-8 bytes).
        expect(ids.length).toBeGreaterThan(s.split(' ').length + 3);
        const chunks = streamChunks(t, ids);
        expect(chunks.join(''), `${t.kind} ${s}`).toBe(s);
        for (const c of chunks) expect(c.includes('\uFFFD'), `${t.kind}: chunk ${JSON.stringify(c)} holds a broken character`).toBe(false);
        // Every 4-byte character comes out whole in one chunk (after empty pushes for its first bytes).
        for (const ch of [...s].filter((c) => c.codePointAt(0)! > 0xffff)) expect(chunks.some((c) => c.includes(ch)), ch).toBe(true);
        expect(chunks.filter((c) => c === '').length).toBeGreaterThanOrEqual(3);
      }
    }
  });

  test('streaming after a prompt keeps the first generated token\'s space', () => {
    for (const t of [tok(), hf()]) {
      const prompt = t.encode('Once upon');
      const gen = t.encode(' a time there', { bos: false }).slice(1); // drop the dummy prefix
      const chunks = streamChunks(t, gen, prompt);
      expect(chunks.join(''), t.kind).toBe(' a time there');
    }
  });

  test('bad tokenizer files get typed errors', () => {
    const bytes = storiesFile('tok512.bin');
    expect(() => Llama2cTokenizer.fromBytes(bytes.subarray(0, 3000), 512)).toThrow(TruncatedFileError);
    expect(() => Llama2cTokenizer.fromBytes(bytes, 600)).toThrow(TruncatedFileError);
    expect(() => Llama2cTokenizer.fromBytes(bytes, 500)).toThrow(/bytes follow the 500 tokens/);
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(8, 1_000_000, true); // token 0's length
    expect(() => Llama2cTokenizer.fromBytes(bad, 512)).toThrow(TokenizerError);
    expect(() => tok().decode([512])).toThrow(TokenizerError);
    expect(() => hf().decode([9999])).toThrow(TokenizerError);
    expect(() => new HfTokenizer('nope')).toThrow(TokenizerError);
  });
});

describe('mini vocabulary (no ../shared needed)', () => {
  test('HF tokenizer.json and the llama2.c algorithm agree; streaming decode of byte fallback', async () => {
    const { miniTokenizerJson, miniVocab, MINI_TOKENIZER_CONFIG } = await import('./mini-tokenizer');
    const h = new HfTokenizer(miniTokenizerJson(), MINI_TOKENIZER_CONFIG);
    const { pieces, scores } = miniVocab();
    const enc = new TextEncoder();
    const l = new Llama2cTokenizer({ pieces: pieces.map((p) => enc.encode(p.replaceAll('\u2581', ' '))), scores, bosId: 1, eosId: 2, special: [0, 1, 2] });
    for (const s of ['the one', 'on the tone', ' hen  ', 'x\u00e9\u{1F600}the', '']) {
      expect(l.encode(s), JSON.stringify(s)).toEqual(h.encode(s));
      expect(streamChunks(h, h.encode(s)).join('')).toBe(s);
      expect(streamChunks(l, l.encode(s)).join('')).toBe(s);
    }
  });
});

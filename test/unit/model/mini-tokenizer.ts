/**
 * A tiny Llama/SentencePiece-style vocabulary written both as a Hugging Face tokenizer.json (legacy
 * LlamaTokenizerFast layout, as stories260K's) and as llama2.c pieces + scores, so tokenizer behaviour
 * can be checked without ../shared (e.g. in the browser test).
 */
const LEARNED = ['\u2581', 'e', 'h', 't', 'o', 'n', '\u2581t', 'he', '\u2581the', 'on', '\u2581on', '\u2581o', 'ne', '\u2581one'];

export function miniVocab(): { pieces: string[]; scores: number[] } {
  const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), ...LEARNED];
  const scores = pieces.map((_, i) => (i < 259 ? 0 : -(i - 259)));
  return { pieces, scores };
}

export function miniTokenizerJson(): object {
  const { pieces, scores } = miniVocab();
  const vocab = Object.fromEntries(pieces.map((p, i) => [p, i]));
  const merges: [string, string, number][] = [];
  for (let i = 259; i < pieces.length; i++) {
    const p = pieces[i]!;
    const cps = [...p];
    for (let k = 1; k < cps.length; k++) {
      const l = cps.slice(0, k).join('');
      const r = cps.slice(k).join('');
      if (l in vocab && r in vocab) merges.push([l, r, scores[i]!]);
    }
  }
  merges.sort((a, b) => b[2] - a[2] || b[0].length - a[0].length);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['<unk>', '<s>', '</s>'].map((c, id) => ({ id, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: merges.map(([l, r]) => [l, r]) },
  };
}

export const MINI_TOKENIZER_CONFIG = { tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false, legacy: true };

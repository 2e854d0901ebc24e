#!/usr/bin/env python3
"""Byte-level BPE (GPT-2 style) trainer and encoder, written out as a Hugging Face tokenizer.json.

Pipeline (the same as the HF `tokenizers` components named in the JSON, so any HF implementation
gives the same ids as `Tokenizer.encode` here):
  1. special tokens `<pad>` (0), `<s>` (1), `</s>` (2) are split out of the text first;
  2. pre-tokenizer ByteLevel (use_regex, no prefix space): the GPT-2 pattern
        's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
     splits the text into words; each word's UTF-8 bytes are mapped to printable characters by GPT-2's
     bytes_to_unicode table (so every byte string has a token spelling);
  3. BPE inside each word: repeatedly merge the adjacent pair with the lowest merge rank (leftmost
     first on ties) until no pair of the word is a merge;
  4. post-processor: `<s>` in front (add_bos), no `</s>`.
Decoding maps token characters back to bytes and decodes UTF-8 (ByteLevel decoder).

Vocabulary: ids 0..2 specials, 3..258 the 256 single bytes (in byte order), 259.. one token per merge
(merge k creates id 259 + k). Training = classic BPE on word counts: merge the most frequent adjacent
pair (ties: the lexicographically smallest pair of token strings), repeat.

Usage: train_bpe.py --corpus training/data/corpus.txt --vocab 1024 --out training/data/tokenizer.json
"""
import argparse
import collections
import json
import unicodedata

SPECIALS = ['<pad>', '<s>', '</s>']
BOS, EOS = 1, 2
N_SPECIAL = len(SPECIALS)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
U2B = {u: b for b, u in B2U.items()}

# JavaScript's \s (tokenizers.js compiles the pattern as a JS RegExp with the u flag): WhiteSpace + LineTerminator.
_JS_SPACE = set('\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff') | {chr(c) for c in range(0x2000, 0x200b)}


def _is_space(ch):
    return ch in _JS_SPACE


def _is_letter(ch):
    return unicodedata.category(ch)[0] == 'L'


def _is_number(ch):
    return unicodedata.category(ch)[0] == 'N'


def _cls(ch):
    if _is_space(ch):
        return 's'
    if _is_letter(ch):
        return 'L'
    if _is_number(ch):
        return 'N'
    return 'o'


CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def pre_tokenize(text):
    """The GPT-2 regex as a hand-written scanner (Python's `re` has no \\p{L}); same alternation order."""
    out = []
    i, n = 0, len(text)
    while i < n:
        # 's|'t|'re|'ve|'m|'ll|'d  (tried first, longest listed match in order)
        m = None
        for c in CONTRACTIONS:
            if text.startswith(c, i):
                m = c
                break
        if m:
            out.append(m)
            i += len(m)
            continue
        # ' ?\p{L}+' | ' ?\p{N}+' | ' ?[^\s\p{L}\p{N}]+'
        j = i + 1 if text[i] == ' ' and i + 1 < n else i
        k = _cls(text[j])
        if k != 's':
            e = j + 1
            while e < n and _cls(text[e]) == k:
                e += 1
            out.append(text[i:e])
            i = e
            continue
        # whitespace run: '\s+(?!\S)' then '\s+'
        e = i
        while e < n and _is_space(text[e]):
            e += 1
        if e == n or e - i == 1:
            out.append(text[i:e])  # run to end of text, or a lone whitespace char before a non-space
            i = e
        else:
            out.append(text[i:e - 1])  # leave the last whitespace char for the next word (or itself)
            i = e - 1
    return out


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.vocab = {s: i for i, s in enumerate(SPECIALS)}
        for b in range(256):
            self.vocab[B2U[b]] = N_SPECIAL + b
        for a, b in self.merges:
            self.vocab[a + b] = len(self.vocab)
        self.itos = {i: s for s, i in self.vocab.items()}
        self.cache = {}

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text, bos=True):
        ids = [BOS] if bos else []
        # split out special tokens (HF added tokens match before normalization/pre-tokenization)
        i = 0
        seg_start = 0
        while i < len(text):
            hit = None
            if text[i] == '<':
                for sid, sp in enumerate(SPECIALS):
                    if text.startswith(sp, i):
                        hit = (sid, sp)
                        break
            if hit:
                ids += self._encode_plain(text[seg_start:i])
                ids.append(hit[0])
                i += len(hit[1])
                seg_start = i
            else:
                i += 1
        ids += self._encode_plain(text[seg_start:])
        return ids

    def _encode_plain(self, text):
        ids = []
        for w in pre_tokenize(text):
            ids += self._bpe(''.join(B2U[b] for b in w.encode('utf-8')))
        return ids

    def decode(self, ids, skip_special=True):
        bs = bytearray()
        out = []
        for t in ids:
            if t < N_SPECIAL:
                if not skip_special:
                    out.append(bs.decode('utf-8', errors='replace'))
                    bs = bytearray()
                    out.append(SPECIALS[t])
                continue
            bs += bytes(U2B[c] for c in self.itos[t])
        out.append(bs.decode('utf-8', errors='replace'))
        return ''.join(out)

    def to_hf_json(self):
        added = [dict(id=i, content=s, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
                 for i, s in enumerate(SPECIALS)]
        bl = dict(type='ByteLevel', add_prefix_space=False, trim_offsets=True, use_regex=True)
        return {
            'version': '1.0',
            'truncation': None,
            'padding': None,
            'added_tokens': added,
            'normalizer': None,
            'pre_tokenizer': bl,
            'post_processor': {
                'type': 'TemplateProcessing',
                'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
                'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                         {'SpecialToken': {'id': '<s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
                'special_tokens': {'<s>': {'id': '<s>', 'ids': [BOS], 'tokens': ['<s>']}},
            },
            'decoder': dict(bl),
            'model': {
                'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
                'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                'vocab': self.vocab,
                'merges': [[a, b] for a, b in self.merges],
            },
        }

    @staticmethod
    def from_hf_json(path):
        with open(path, encoding='utf-8') as fh:
            j = json.load(fh)
        tok = Tokenizer(j['model']['merges'])
        assert tok.vocab == j['model']['vocab'], 'vocab in tokenizer.json does not follow the merges'
        return tok


def train(text_iter, vocab_size):
    counts = collections.Counter()
    for text in text_iter:
        for w in pre_tokenize(text):
            counts[''.join(B2U[b] for b in w.encode('utf-8'))] += 1
    words = [(list(w), c) for w, c in counts.items()]
    merges = []
    n_merges = vocab_size - N_SPECIAL - 256
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for parts, c in words:
            for i in range(len(parts) - 1):
                pairs[(parts[i], parts[i + 1])] += c
        if not pairs:
            break
        top = max(pairs.values())
        best = min(p for p, c in pairs.items() if c == top)
        merges.append(best)
        a, b = best
        for parts, c in words:
            i = 0
            while i < len(parts) - 1:
                if parts[i] == a and parts[i + 1] == b:
                    parts[i:i + 2] = [a + b]
                i += 1
    return merges, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--vocab', type=int, default=1024)
    ap.add_argument('--max-bytes', type=int, default=4_000_000, help='train the merges on this prefix of the corpus')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    with open(a.corpus, encoding='utf-8') as fh:
        text = fh.read(a.max_bytes)
    merges, counts = train(text.split('\n\n'), a.vocab)
    tok = Tokenizer(merges)
    with open(a.out, 'w', encoding='utf-8') as fh:
        json.dump(tok.to_hf_json(), fh, ensure_ascii=False, indent=1)
    sample = text[:200000]
    ids = tok.encode(sample, bos=False)
    assert tok.decode(ids) == sample
    print(f'{len(tok.vocab)} tokens ({len(merges)} merges) from {len(counts)} distinct words; '
          f'{len(sample.encode()) / len(ids):.2f} bytes/token on the first 200 kB; wrote {a.out}')


if __name__ == '__main__':
    main()

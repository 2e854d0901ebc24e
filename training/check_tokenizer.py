#!/usr/bin/env python3
"""Writes tokenizer test cases (strings + the Python encoder's ids and decodes) for check_tokenizer.mjs.

Cases: hand-picked tricky strings (contractions, whitespace runs, newlines, tabs, digits, punctuation,
accents, CJK, emoji, NBSP, the special-token texts), corpus stories, and seeded random strings drawn
from a mixed alphabet.
Usage: check_tokenizer.py TOKENIZER_JSON CORPUS OUT_JSON
"""
import json
import random
import sys

from train_bpe import Tokenizer

TRICKY = [
    '', ' ', '  ', 'Once upon a time', ' Once upon a time', 'Once upon a time ', 'Lily said, "Hi!"',
    "Tom's dog can't swim. They're here; we've, I'm, you'll, he'd", "'s'S 'RE 're", 'a  b   c\n\nd \n e\t\tf',
    '\n', '\n\n', ' \n', '\n ', 'x \n\ny', '   leading', 'trailing   ', 'tab\there', 'crlf\r\nline',
    'numbers 123 4567 89.5 3,000', 'café naïve résumé', '日本語のテキスト', 'emoji 😀 👩‍👩‍👧 🇫🇷', 'nbsp\u00a0here',
    'curly “quotes” ‘ok’', '<s>Once</s> <pad>', 'a<s', 'The end.\n\nOnce upon', '!!!???...', '—–-', '\u2003em space',
    'ALL CAPS STORY', 'mixedCASEwords and under_scores', 'x' * 300,
]


def main():
    tok = Tokenizer.from_hf_json(sys.argv[1])
    with open(sys.argv[2], encoding='utf-8') as fh:
        stories = fh.read(2_000_000).split('\n\n')[:200]
    r = random.Random(5)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?'\"-\n\t") + \
        ['  ', ' \n', "'s", "'ll", 'é', 'ß', '中', '😀', '\u00a0', '\u2009', 'the ', ' and ', 'ing ', '\r\n']
    rand = [''.join(r.choice(alphabet) for _ in range(r.randint(1, 60))) for _ in range(2000)]
    cases = []
    for s in TRICKY + stories + rand:
        ids = tok.encode(s)
        assert tok.decode(ids) == s or any(sp in s for sp in ('<s>', '</s>', '<pad>')), (s, tok.decode(ids))
        cases.append({'text': s, 'ids': ids, 'decoded': tok.decode(ids)})
    with open(sys.argv[3], 'w', encoding='utf-8') as fh:
        json.dump(cases, fh, ensure_ascii=False)
    print(f'{len(cases)} cases ({len(TRICKY)} tricky, {len(stories)} stories, {len(rand)} random) -> {sys.argv[3]}')


if __name__ == '__main__':
    main()

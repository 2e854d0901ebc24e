// Checks that @huggingface/tokenizers (the JS implementation the app uses) loads our tokenizer.json and
// gives exactly the Python encoder's ids and decodes on every case written by check_tokenizer.py.
// Usage (from the repo root): node training/check_tokenizer.mjs TOKENIZER_JSON TOKENIZER_CONFIG CASES_JSON
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

const [tokPath, cfgPath, casesPath] = process.argv.slice(2);
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, 'utf8')), JSON.parse(readFileSync(cfgPath, 'utf8')));
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
let bad = 0;
for (const c of cases) {
  const ids = tok.encode(c.text).ids;
  const dec = tok.decode(ids, { skip_special_tokens: true });
  if (JSON.stringify(ids) !== JSON.stringify(c.ids) || dec !== c.decoded) {
    if (bad < 10) console.log('MISMATCH', JSON.stringify(c.text), '\n  js ', JSON.stringify(ids), JSON.stringify(dec), '\n  py ', JSON.stringify(c.ids), JSON.stringify(c.decoded));
    bad++;
  }
}
console.log(`@huggingface/tokenizers: ${cases.length - bad}/${cases.length} cases identical (ids and decode)`);
process.exit(bad ? 1 : 0);

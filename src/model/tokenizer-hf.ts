/**
 * Hugging Face tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers (pure JS; runs in
 * Node and the browser). Streaming decode uses the window method in tokenizer.ts, so it is correct for
 * byte-fallback (Llama/SentencePiece) and byte-level (GPT-2/Llama-3) vocabularies alike.
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { TokenizerError } from './errors';
import { WindowStreamDecoder, type EncodeOptions, type StreamDecoder, type Tokenizer } from './tokenizer';

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly impl: HfTokenizerImpl;
  private readonly specialIds: Set<number>;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown = {}, file = 'tokenizer.json') {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null) throw new TokenizerError('tokenizer.json must hold a JSON object', file);
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, (tokenizerConfig ?? {}) as object);
    } catch (e) {
      throw new TokenizerError(`cannot build the tokenizer: ${(e as Error).message}`, file);
    }
    const vocab = this.impl.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    const cfg = (tokenizerConfig ?? {}) as Record<string, unknown>;
    const tokenId = (v: unknown): number | undefined => {
      const s = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { content?: string }).content : undefined;
      return s === undefined ? undefined : this.impl.token_to_id(s);
    };
    this.bosId = tokenId(cfg['bos_token']) ?? this.impl.token_to_id('<s>') ?? -1;
    this.eosId = tokenId(cfg['eos_token']) ?? this.impl.token_to_id('</s>') ?? -1;
    this.specialIds = new Set([...this.impl.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.impl.encode(text, { add_special_tokens: opts.bos ?? true }).ids;
    return ids;
  }

  decode(ids: readonly number[]): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
    }
    // The library rejects an empty list; all-special lists decode to ''.
    return ids.length ? this.impl.decode([...ids], { skip_special_tokens: true }) : '';
  }

  streamDecoder(context: readonly number[] = []): StreamDecoder {
    // Special tokens in the context would be skipped anyway; dropping them keeps the window meaningful.
    return new WindowStreamDecoder((ids) => this.decode(ids), context.filter((id) => !this.specialIds.has(id)));
  }

  tokenText(id: number): string {
    return this.impl.id_to_token(id) ?? '';
  }
}

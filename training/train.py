#!/usr/bin/env python3
"""Trains the built-in model (a tiny Llama, see model.py) on the generated story corpus, on CPU.

Data: stories split on blank lines; the last --val-stories are held out. Each story is encoded as
<s> story </s> with the project's BPE (train_bpe.py) and all are concatenated into one token stream;
a training batch is B random windows of T+1 tokens (inputs = first T, targets = last T).
Optimiser: AdamW (betas 0.9/0.95, weight decay on matrices only), linear warmup then cosine decay to
10% of the peak rate, gradient clipping at 1.0. Fixed step count (not a time budget) so a rerun with the
same seed and thread count gives the same weights; a checkpoint every --ckpt-every steps lets an
interrupted run resume where it stopped (rerun the same command).

Usage: train.py --data training/data --steps 600
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import Llama
from train_bpe import BOS, EOS, Tokenizer

CONFIG = dict(
    hidden_size=128, intermediate_size=384, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
    head_dim=32, vocab_size=1024, max_position_embeddings=256, rope_theta=10000.0, rms_norm_eps=1e-5,
)


def encode_corpus(data, val_stories):
    cache = os.path.join(data, 'tokens.npz')
    if os.path.exists(cache):
        z = np.load(cache)
        return z['train'], z['val']
    tok = Tokenizer.from_hf_json(os.path.join(data, 'tokenizer.json'))
    with open(os.path.join(data, 'corpus.txt'), encoding='utf-8') as fh:
        stories = [s for s in fh.read().split('\n\n') if s.strip()]
    def stream(ss):
        out = []
        for s in ss:
            out += tok.encode(s, bos=True) + [EOS]
        return np.array(out, dtype=np.uint16)
    train, val = stream(stories[:-val_stories]), stream(stories[-val_stories:])
    np.savez(cache, train=train, val=val)
    return train, val


def batch(stream, B, T, g):
    ix = torch.randint(0, len(stream) - T - 1, (B,), generator=g)
    x = torch.stack([torch.from_numpy(stream[i:i + T + 1].astype(np.int64)) for i in ix.tolist()])
    return x[:, :-1], x[:, 1:]


@torch.no_grad()
def evaluate(model, val, T, n_windows=32):
    # fixed, evenly spaced windows: the same every call, so numbers are comparable across steps
    model.eval()
    starts = np.linspace(0, len(val) - T - 2, n_windows).astype(np.int64)
    losses = []
    for i in range(0, n_windows, 8):
        x = torch.stack([torch.from_numpy(val[s:s + T + 1].astype(np.int64)) for s in starts[i:i + 8]])
        logits = model(x[:, :-1])
        losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1)).item())
    model.train()
    return float(np.mean(losses))


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='training/data')
    ap.add_argument('--steps', type=int, default=600)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--seq', type=int, default=256)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--warmup', type=int, default=40)
    ap.add_argument('--wd', type=float, default=0.1)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--val-stories', type=int, default=400)
    ap.add_argument('--ckpt-every', type=int, default=25)
    ap.add_argument('--eval-every', type=int, default=100)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    train, val = encode_corpus(a.data, a.val_stories)
    print(f'train tokens {len(train):,}  val tokens {len(val):,}', flush=True)
    model = Llama(CONFIG)
    print(f'params {model.num_params():,}  config {json.dumps(CONFIG)}', flush=True)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.wd}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(a.seed)
    ckpt_path = os.path.join(a.data, 'ckpt.pt')
    log_path = os.path.join(a.data, 'train_log.jsonl')
    step, elapsed, history = 0, 0.0, []
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        g.set_state(ck['gen'])
        step, elapsed, history = ck['step'], ck['elapsed'], ck['history']
        print(f'resumed at step {step} ({elapsed:.0f} s trained so far)', flush=True)

    t_last = time.time()
    while step < a.steps:
        lr = lr_at(step, a.steps, a.lr, a.warmup)
        for group in opt.param_groups:
            group['lr'] = lr
        x, y = batch(train, a.batch, a.seq, g)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        history.append(loss.item())
        rec = {'step': step, 'loss': round(loss.item(), 4), 'lr': round(lr, 6), 'grad_norm': round(gn, 3),
               'elapsed_s': round(elapsed, 1), 'tok_per_s': round(step * a.batch * a.seq / elapsed)}
        if step % a.eval_every == 0 or step == a.steps:
            rec['val_loss'] = round(evaluate(model, val, a.seq), 4)
            t_last = time.time()  # evaluation time is not training time
        if step % 10 == 0 or 'val_loss' in rec:
            print(json.dumps(rec), flush=True)
        with open(log_path, 'a') as fh:
            fh.write(json.dumps(rec) + '\n')
        if step % a.ckpt_every == 0 or step == a.steps:
            torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'gen': g.get_state(), 'step': step,
                        'elapsed': elapsed, 'history': history, 'config': CONFIG}, ckpt_path + '.tmp')
            os.replace(ckpt_path + '.tmp', ckpt_path)

    final = {'steps': step, 'batch': a.batch, 'seq': a.seq, 'tokens_seen': step * a.batch * a.seq,
             'train_loss_last50': round(float(np.mean(history[-50:])), 4), 'val_loss': round(evaluate(model, val, a.seq), 4),
             'train_seconds': round(elapsed), 'params': model.num_params(), 'config': CONFIG,
             'hyper': {k: getattr(a, k) for k in ('lr', 'warmup', 'wd', 'seed', 'threads', 'val_stories')}}
    with open(os.path.join(a.data, 'final.json'), 'w') as fh:
        json.dump(final, fh, indent=1)
    print('final', json.dumps(final), flush=True)


if __name__ == '__main__':
    main()

"""A minimal Llama (RMSNorm, rotate-half RoPE, GQA, SwiGLU, tied embeddings) in plain torch.

Parameter names mirror Hugging Face's LlamaForCausalLM so export.py can write them unchanged:
model.embed_tokens.weight, model.layers.N.{input_layernorm,post_attention_layernorm}.weight,
model.layers.N.self_attn.{q,k,v,o}_proj.weight, model.layers.N.mlp.{gate,up,down}_proj.weight,
model.norm.weight (lm_head is tied to the embedding).

RoPE is HF's rotate-half convention: inside each head, element i pairs with element i + head_dim/2,
both rotated by pos * theta^(-2i/head_dim); so the exported q/k rows need no permutation.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # y = x / sqrt(mean(x^2) + eps) * w   (eps inside the square root, as HF and llama2.c)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, max_len, theta):
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # [hd/2]
    ang = torch.arange(max_len, dtype=torch.float32)[:, None] * inv[None, :]       # [T, hd/2]
    ang = torch.cat([ang, ang], dim=-1)                                            # [T, hd]
    return ang.cos(), ang.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh, self.nkv, self.hd = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
        d = c['hidden_size']
        self.q_proj = nn.Linear(d, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv  # query head h reads kv head h // rep
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        # softmax(q k^T / sqrt(hd) + causal mask) v  (torch 1.13 has no fused SDPA)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask[:T, :T], float('-inf')).softmax(dim=-1)
        y = att @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.nh * self.hd))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h = c['hidden_size'], c['intermediate_size']
        self.gate_proj = nn.Linear(d, h, bias=False)
        self.up_proj = nn.Linear(d, h, bias=False)
        self.down_proj = nn.Linear(h, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])
        self.norm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Inner(c)
        cos, sin = rope_tables(c['head_dim'], c['max_position_embeddings'], c['rope_theta'])
        self.register_buffer('cos', cos, persistent=False)
        self.register_buffer('sin', sin, persistent=False)
        L = c['max_position_embeddings']
        self.register_buffer('mask', torch.ones(L, L, dtype=torch.bool).triu(1), persistent=False)
        self._init()

    def _init(self):
        # GPT-2 style: N(0, 0.02), residual output projections scaled by 1/sqrt(2 * layers).
        std = 0.02
        for name, p in self.named_parameters():
            if p.dim() == 2:
                s = std / math.sqrt(2 * self.c['num_hidden_layers']) if name.endswith(('o_proj.weight', 'down_proj.weight')) else std
                nn.init.normal_(p, 0.0, s)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.model.embed_tokens(idx)
        cos, sin = self.cos[:T], self.sin[:T]
        for layer in self.model.layers:
            x = layer(x, cos, sin, self.mask)
        x = self.model.norm(x)
        return F.linear(x, self.model.embed_tokens.weight)  # tied lm_head

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

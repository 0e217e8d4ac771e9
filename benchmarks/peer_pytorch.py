#!/usr/bin/python3
"""PyTorch on the same weights and inputs as benchmarks/e2e_bench, in the
same run, and the ratios. Run by scripts/bench_e2e.sh:
    /usr/bin/python3 benchmarks/peer_pytorch.py BENCH_DIR EDGESEQ_JSON
PyTorch runs f32 and dynamic int8 (torch.ao dynamic quantized linear for
every projection, attention included), with a KV-cache greedy loop (the
decoder re-run incrementally, as edgeseq does), exactly 24 tokens. Needs
Debian's libopenblas0-openmp, or PyTorch uses the reference BLAS and every
ratio flatters edgeseq: the script refuses to run without OpenBLAS."""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "g2p"))
from tutorial_model import Seq2SeqTransformer  # noqa: E402

CONFIGS = {
    "bench-base": dict(num_encoder_layers=6, num_decoder_layers=6, emb_size=512, nhead=8, src_vocab_size=32000,
                       tgt_vocab_size=32000, dim_feedforward=2048),
    "bench-tiny": dict(num_encoder_layers=6, num_decoder_layers=2, emb_size=256, nhead=4, src_vocab_size=16000,
                       tgt_vocab_size=16000, dim_feedforward=1024),
}
BOS = 2


class Lin:
    """y = x·Wᵀ + b, f32 or PyTorch's dynamic int8 (per-tensor u8 activations)."""

    def __init__(self, w, b, int8):
        self.int8 = int8
        if int8:
            qw = torch.quantize_per_channel(w.float().contiguous(), (w.abs().amax(1) / 127).clamp(min=1e-8),
                                            torch.zeros(w.shape[0], dtype=torch.long), 0, torch.qint8)
            self.packed = torch.ops.quantized.linear_prepack(qw, b)
        else:
            self.w, self.b = w, b

    def __call__(self, x):
        if self.int8:
            return torch.ops.quantized.linear_dynamic(x, self.packed, True)
        return F.linear(x, self.w, self.b)


class Peer:
    def __init__(self, model, int8):
        t = model.transformer
        d = model.src_tok_emb.emb_size
        self.d, self.h = d, t.encoder.layers[0].self_attn.num_heads
        self.model = model
        self.enc = []
        for l in t.encoder.layers:
            self.enc.append(dict(qkv=Lin(l.self_attn.in_proj_weight, l.self_attn.in_proj_bias, int8),
                                 out=Lin(l.self_attn.out_proj.weight, l.self_attn.out_proj.bias, int8),
                                 fc1=Lin(l.linear1.weight, l.linear1.bias, int8),
                                 fc2=Lin(l.linear2.weight, l.linear2.bias, int8), n1=l.norm1, n2=l.norm2))
        self.dec = []
        for l in t.decoder.layers:
            w, b = l.multihead_attn.in_proj_weight, l.multihead_attn.in_proj_bias
            self.dec.append(dict(qkv=Lin(l.self_attn.in_proj_weight, l.self_attn.in_proj_bias, int8),
                                 out=Lin(l.self_attn.out_proj.weight, l.self_attn.out_proj.bias, int8),
                                 cq=Lin(w[:d], b[:d], int8), ckv=Lin(w[d:], b[d:], int8),
                                 cout=Lin(l.multihead_attn.out_proj.weight, l.multihead_attn.out_proj.bias, int8),
                                 fc1=Lin(l.linear1.weight, l.linear1.bias, int8),
                                 fc2=Lin(l.linear2.weight, l.linear2.bias, int8), n1=l.norm1, n2=l.norm2,
                                 n3=l.norm3))
        self.gen = Lin(model.generator.weight, model.generator.bias, False)  # kept f32, as edgeseq's default
        self.pos = model.positional_encoding.pos_embedding[:, 0]

    def attend(self, q, k, v):  # q [B, tq, d], k/v [B, tk, d]
        B, tq, d = q.shape
        h, dh = self.h, d // self.h
        q = q.view(B, tq, h, dh).transpose(1, 2)
        k = k.view(B, -1, h, dh).transpose(1, 2)
        v = v.view(B, -1, h, dh).transpose(1, 2)
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), -1)
        return (p @ v).transpose(1, 2).reshape(B, tq, d)

    def encode(self, src):  # src [B, S]
        x = self.model.src_tok_emb.embedding(src) * math.sqrt(self.d) + self.pos[: src.shape[1]]
        for l in self.enc:
            q, k, v = l["qkv"](x).chunk(3, -1)
            x = l["n1"](x + l["out"](self.attend(q, k, v)))
            x = l["n2"](x + l["fc2"](F.relu(l["fc1"](x))))
        return self.model.transformer.encoder.norm(x)

    def greedy(self, src, steps):
        mem = self.encode(src)
        B = src.shape[0]
        cross = [l["ckv"](mem).chunk(2, -1) for l in self.dec]
        cache = [[None, None] for _ in self.dec]
        tok = torch.full((B,), BOS, dtype=torch.long)
        out = []
        for t in range(steps):
            x = (self.model.tgt_tok_emb.embedding(tok) * math.sqrt(self.d) + self.pos[t]).unsqueeze(1)
            for i, l in enumerate(self.dec):
                q, k, v = l["qkv"](x).chunk(3, -1)
                ck, cv = cache[i]
                cache[i] = [k if ck is None else torch.cat([ck, k], 1), v if cv is None else torch.cat([cv, v], 1)]
                x = l["n1"](x + l["out"](self.attend(q, *cache[i])))
                x = l["n2"](x + l["cout"](self.attend(l["cq"](x), *cross[i])))
                x = l["n3"](x + l["fc2"](F.relu(l["fc1"](x))))
            logits = self.gen(self.model.transformer.decoder.norm(x[:, 0]))
            tok = logits.argmax(-1)
            out.append(tok)
        return torch.stack(out, 1)


def timed(f, reps):
    f()  # warm
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def main():
    bench, edgeseq_json = sys.argv[1], sys.argv[2]
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    if "openblas" not in blas:
        sys.exit(f"peer_pytorch: libblas.so.3 is {blas}, not OpenBLAS (install libopenblas0-openmp): "
                 "PyTorch would run the reference BLAS and every ratio would flatter edgeseq")
    only = os.environ.get("EDGESEQ_PEER_MODELS", "").split(",")
    inputs = [[int(t) for t in line.split()] for line in open(os.path.join(bench, "inputs.txt"))]
    ours = {}
    for b in json.load(open(edgeseq_json))["benchmarks"]:
        if b.get("aggregate_name", "median") == "median" and "error_occurred" not in b:
            ours[b["label"] + " " + b["name"].split("/")[0]] = b["real_time"]
    rows = []
    for name, c in CONFIGS.items():
        if only != [""] and name not in only:
            continue
        model = Seq2SeqTransformer(dropout=0.0, maxlen=256, **c)
        model.load_state_dict(torch.load(os.path.join(bench, name + ".pth")))
        model.eval()
        for int8 in (False, True):
            peer = Peer(model, int8)
            q = "int8" if int8 else "f32"
            for threads in (1, 2):
                torch.set_num_threads(threads)
                with torch.no_grad():
                    for kind, batch in (("BM_Encoder", 16), ("BM_Greedy24", 1), ("BM_Greedy24", 16)):
                        src = torch.tensor(inputs[:batch])
                        reps = 3 if name == "bench-base" else 5
                        f = (lambda: peer.encode(src)) if kind == "BM_Encoder" else (lambda: peer.greedy(src, 24))
                        ms = timed(f, reps)
                        key = f"{name}-{q} batch {batch} threads {threads} {kind}"
                        mine = ours.get(key)
                        rows.append((name, q, kind.replace("BM_", "").replace("Greedy24", "greedy 24"), batch,
                                     threads, mine, ms))
    print("| model | weights | workload | batch | threads | edgeseq ms | PyTorch ms | PyTorch ÷ edgeseq |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, q, kind, batch, threads, mine, ms in rows:
        ratio = f"{ms / mine:.2f}" if mine else "-"
        mine_s = f"{mine:.1f}" if mine else "-"
        print(f"| {name} | {q} | {kind} | {batch} | {threads} | {mine_s} | {ms:.1f} | {ratio} |")


if __name__ == "__main__":
    main()

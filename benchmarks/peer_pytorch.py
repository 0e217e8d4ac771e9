#!/usr/bin/python3
"""PyTorch on the same weights and inputs as benchmarks/e2e_bench, in the
same run, and the ratios. Run by scripts/bench_e2e.sh:
    /usr/bin/python3 benchmarks/peer_pytorch.py BENCH_DIR EDGESEQ_JSON [EDGESEQ_CLI]
PyTorch runs f32 and dynamic int8 (torch.ao dynamic quantized linear for
every projection, attention and the output projection included), with a
KV-cache greedy loop (the decoder re-run incrementally, as edgeseq does),
exactly 24 tokens. Also prints the int8 fidelity figure (teacher-forced
log-probabilities, int8 vs f32, for edgeseq and for PyTorch) and the peak
resident memory of the edgeseq CLI at batch 1. Needs
Debian's libopenblas0-openmp, or PyTorch uses the reference BLAS and every
ratio flatters edgeseq: the script refuses to run without OpenBLAS."""
import json
import math
import os
import re
import statistics
import subprocess
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
        self.gen = Lin(model.generator.weight, model.generator.bias, int8)  # int8 too, as edgeseq's default
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

    def greedy(self, src, steps, forced=None):
        """Greedy tokens [B, steps]; with forced [B, steps], teacher forcing:
        returns the log-probabilities of the forced tokens instead."""
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
            if forced is None:
                tok = logits.argmax(-1)
                out.append(tok)
            else:
                tok = forced[:, t]
                out.append(torch.log_softmax(logits.double(), -1).gather(1, tok[:, None])[:, 0])
        return torch.stack(out, 1)


def edgeseq_logprobs(cli, model, inputs, targets):
    """Teacher-forced log-probabilities of each target token from the
    edgeseq CLI (score --tokens), without the final EOS."""
    lines = "".join(" ".join(map(str, s)) + "\t" + " ".join(map(str, t)) + "\n" for s, t in zip(inputs, targets))
    out = subprocess.run([cli, "score", "--ids", "--tokens", "-m", model], input=lines, capture_output=True,
                         text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="2")).stdout
    return [[float(v) for v in line.split()][:len(t)] for line, t in zip(out.splitlines(), targets)]


def mean_abs_diff(a, b):
    d = [abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)]
    return sum(d) / len(d)


def peak_rss_mb(cmd, stdin_text):
    """Peak resident memory of one run of the CLI, as its --stats reports it
    (VmHWM of its own mappings: rusage would count the forking Python)."""
    r = subprocess.run(cmd + ["--stats"], input=stdin_text, capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    m = re.search(r"peak memory ([0-9.]+) MB", r.stderr)
    if r.returncode != 0 or not m:
        sys.exit(f"peer_pytorch: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return float(m.group(1))


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
    cli = sys.argv[3] if len(sys.argv) > 3 else "build/tools/edgeseq"
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
    rows, fidelity, rss = [], [], []
    for name, c in CONFIGS.items():
        if only != [""] and name not in only:
            continue
        model = Seq2SeqTransformer(dropout=0.0, maxlen=256, **c)
        model.load_state_dict(torch.load(os.path.join(bench, name + ".pth")))
        model.eval()
        peers = {}
        for int8 in (False, True):
            peer = peers[int8] = Peer(model, int8)
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
        # Fidelity: teacher forcing on PyTorch f32's greedy outputs (24
        # tokens per source, the EOS not counted), mean |Δ log p| per token.
        torch.set_num_threads(2)
        with torch.no_grad():
            src = torch.tensor(inputs)
            targets = peers[False].greedy(src, 24)
            pt = {q: peers[q].greedy(src, 24, forced=targets).tolist() for q in (False, True)}
        tl = targets.tolist()
        es = {q: edgeseq_logprobs(cli, os.path.join(bench, f"{name}-{q}.esq"), inputs, tl) for q in ("f32", "int8")}
        fidelity.append((name, mean_abs_diff(es["int8"], es["f32"]), mean_abs_diff(pt[True], pt[False]),
                         mean_abs_diff(es["f32"], pt[False]), mean_abs_diff(es["int8"], pt[False])))
        one = " ".join(map(str, inputs[0])) + "\n"
        for q in ("int8", "f32"):
            path = os.path.join(bench, f"{name}-{q}.esq")
            cmd = [cli, "generate", "--ids", "--batch", "1", "--max-len", "24", "--min-len", "24", "-m", path]
            rss.append((name, q, os.path.getsize(path) / 1e6, peak_rss_mb(cmd, one)))
    print("| model | weights | workload | batch | threads | edgeseq ms | PyTorch ms | PyTorch ÷ edgeseq |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, q, kind, batch, threads, mine, ms in rows:
        ratio = f"{ms / mine:.2f}" if mine else "-"
        mine_s = f"{mine:.1f}" if mine else "-"
        print(f"| {name} | {q} | {kind} | {batch} | {threads} | {mine_s} | {ms:.1f} | {ratio} |")
    print()
    print("Fidelity: mean |Δ log p| per token, teacher-forced on PyTorch f32's greedy outputs (16 × 24 tokens)")
    print()
    print("| model | edgeseq int8 vs edgeseq f32 | PyTorch int8 vs PyTorch f32 | edgeseq f32 vs PyTorch f32 "
          "| edgeseq int8 vs PyTorch f32 |")
    print("|---|---:|---:|---:|---:|")
    for name, a, b, c2, d in fidelity:
        print(f"| {name} | {a:.4f} | {b:.4f} | {c2:.5f} | {d:.4f} |")
    print()
    print("Peak resident memory: `edgeseq generate --batch 1` of one 24-token source, 24 tokens, 1 thread")
    print()
    print("| model | weights | file MB | peak RSS MB |")
    print("|---|---|---:|---:|")
    for name, q, mb, peak in rss:
        print(f"| {name} | {q} | {mb:.1f} | {peak:.1f} |")


if __name__ == "__main__":
    main()

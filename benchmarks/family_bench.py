#!/usr/bin/python3
"""The two Hugging Face family benchmark models of scripts/bench_peers.sh
(FAMILIES=1), with random weights, for edgeseq and CTranslate2 alike:

  marian-base  MarianMTModel shaped as OPUS-MT base: d_model 512, 6+6 layers,
               8 heads, FFN 2048, vocabulary 58101 (pad = decoder start =
               58100, eos 0, unk 1), post-LN, SiLU ("swish"), sinusoidal
               positions stored in Marian's layout, embeddings scaled by
               sqrt(d), shared (tied) embeddings, final_logits_bias.
  t5-small     T5ForConditionalGeneration shaped as t5-small (v1.0): d_model
               512, 6+6 layers, 8 heads, d_kv 64, FFN 2048, vocabulary 32128
               (pad = decoder start 0, eos 1, unk 2), RMS norm, relative
               position buckets 32 / max distance 128, ReLU, tied embeddings.

Subcommands (numpy only; no torch, no transformers):
  hf OUT        writes OUT/<name>-hf/ (config.json, generation_config.json,
                model.safetensors) for both models; convert each with
                  edgeseq-convert OUT/<name>-hf -o OUT/<name>-int8.esq --quantize int8
  ct2 OUT DEST  reads OUT/<name>-hf/model.safetensors and builds the same
                model with the ctranslate2 package's spec API (the roles as
                its Marian / T5 converters assign them), saved f32 as
                DEST/<name>-ct2 (int8 is chosen at load: compute_type="int8").
                Needs PYTHONPATH / LD_LIBRARY_PATH of a CTranslate2 build.
  time DEST NAME DTYPE THREADS WL [REPS]
                times one CTranslate2 workload as $SHARED/peers/bench_ct2.py
                does (3 warm-up calls, median of REPS, JSON with ms_median and
                maxrss_mb): WL a = greedy batch 1, b = greedy batch 16,
                d = beam 4 batch 1, e = beam 4 batch 16; exactly 24 tokens;
                sources: the first 1 or 16 lines of OUT/inputs.txt (DEST/../
                unless FAMILY_INPUTS names the file).
  sources NAME N
                N seeded random pairs for the equivalence check, one line
                each: the source (8 to 40 ordinary ids, then the family's EOS,
                as its tokenizer frames a source), a tab, a target of 24
                ordinary ids (to score teacher-forced).
  score DEST NAME PAIRS_FILE
                CTranslate2 f32 per-token log-probabilities of each target
                (its EOS included), one line per pair.
  compare ES_GREEDY CT2_GREEDY ES_LOGP CT2_LOGP
                one markdown row fragment: greedy agreement (whole outputs,
                first tokens, mean common prefix) and the largest per-token
                |difference| of the log-probabilities.
With random weights greedy outputs mostly repeat one token (the decoder
state hardly changes from step to step), so the first tokens and the
teacher-forced log-probabilities of random targets carry the check.
  greedy DEST NAME SRC_FILE
                CTranslate2 f32 greedy, exactly 24 tokens, one line of target
                ids per line of SRC_FILE (its source: the ids before any tab).
Token strings for CTranslate2 are "<pad>", "</s>", "<unk>" at the family's
ids and "w<id>" elsewhere, so ids map one to one."""
import json
import math
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np

MODELS = {
    "marian-base": dict(family="marian", d=512, heads=8, ffn=2048, enc=6, dec=6, vocab=58101, pad=58100, eos=0,
                        unk=1, max_pos=512, seed=11),
    "t5-small": dict(family="t5", d=512, heads=8, d_kv=64, ffn=2048, enc=6, dec=6, vocab=32128, pad=0, eos=1, unk=2,
                     buckets=32, max_distance=128, seed=12),
}
TGT_LEN = 24


# ---- Hugging Face checkpoint directories -----------------------------------
def marian_sinusoid(n, d):
    # MarianSinusoidalPositionalEmbedding: angle pos / 10000^(2(j//2)/d), sin of
    # the even columns in the first half, cos of the odd ones in the second.
    pos = np.arange(n, dtype=np.float64)[:, None]
    j = np.arange(d, dtype=np.float64)[None, :]
    angle = pos / np.power(10000.0, 2 * (j // 2) / d)
    out = np.zeros((n, d))
    out[:, :d // 2] = np.sin(angle[:, 0::2])
    out[:, d // 2:] = np.cos(angle[:, 1::2])
    return out.astype(np.float32)


def marian_weights(p):
    g = np.random.default_rng(p["seed"])
    d, f, V = p["d"], p["ffn"], p["vocab"]
    w = {}

    def rnd(*shape, std):
        return (g.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

    def linear(name, o, i):
        w[name + ".weight"] = rnd(o, i, std=i ** -0.5)
        w[name + ".bias"] = rnd(o, std=0.02)

    def norm(name):
        w[name + ".weight"] = 1 + rnd(d, std=0.1)
        w[name + ".bias"] = rnd(d, std=0.02)

    shared = rnd(V, d, std=0.1)
    shared[p["pad"]] = 0  # nn.Embedding(padding_idx=pad): real checkpoints keep the pad row zero
    w["final_logits_bias"] = rnd(1, V, std=0.5)
    w["model.shared.weight"] = shared
    for stack in ("encoder", "decoder"):
        pre = "model.%s." % stack
        w[pre + "embed_positions.weight"] = marian_sinusoid(p["max_pos"], d)
        for i in range(p[stack[:3]]):
            q = pre + "layers.%d." % i
            # self-attention; in the decoder, then attention over the source
            for attn in ("self_attn", "encoder_attn")[:2 if stack == "decoder" else 1]:
                for proj in ("k", "v", "q", "out"):
                    linear(q + attn + ".%s_proj" % proj, d, d)
                norm(q + attn + "_layer_norm")
            linear(q + "fc1", f, d)
            linear(q + "fc2", d, f)
            norm(q + "final_layer_norm")
    return w  # tied: embed_tokens and lm_head are aliases of model.shared, not stored


def t5_weights(p):
    g = np.random.default_rng(p["seed"])
    d, dkv, h, f, V = p["d"], p["d_kv"], p["heads"], p["ffn"], p["vocab"]
    inner = dkv * h
    w = {}

    def rnd(*shape, std):
        return (g.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

    def norm_w(scale=1.0):
        return (scale * (1.0 + 0.2 * g.standard_normal(d, dtype=np.float32))).astype(np.float32)

    shared = rnd(V, d, std=1.0)
    w["shared.weight"] = shared
    for stack in ("encoder", "decoder"):
        w[stack + ".embed_tokens.weight"] = shared
        for i in range(p[stack[:3]]):
            b = "%s.block.%d.layer." % (stack, i)
            # layer 0: self-attention; in the decoder, layer 1: attention over the source
            attns = ("SelfAttention", "EncDecAttention")[:2 if stack == "decoder" else 1]
            for k, attn in enumerate(attns):
                a = b + "%d.%s." % (k, attn)
                # T5 folds 1/sqrt(d_kv) into q's initialization (no attention scaling).
                stds = {"q": (d * dkv) ** -0.5, "k": d ** -0.5, "v": d ** -0.5}
                for proj, std in stds.items():
                    w[a + proj + ".weight"] = rnd(inner, d, std=std)
                w[a + "o.weight"] = rnd(d, inner, std=2 * inner ** -0.5)
                if i == 0 and k == 0:  # computed in the first block, shared by all
                    w[a + "relative_attention_bias.weight"] = rnd(p["buckets"], h, std=1.0)
                w[b + "%d.layer_norm.weight" % k] = norm_w()
            ff = len(attns)
            w[b + "%d.DenseReluDense.wi.weight" % ff] = rnd(f, d, std=d ** -0.5)
            w[b + "%d.DenseReluDense.wo.weight" % ff] = rnd(d, f, std=2 * f ** -0.5)
            w[b + "%d.layer_norm.weight" % ff] = norm_w()
        # larger final norms: logits (tied, scaled by d^-0.5) of a few units
        w[stack + ".final_layer_norm.weight"] = norm_w(3.0)
    return w


def marian_config(p):
    return {
        "_name_or_path": "bench-marian-base", "activation_dropout": 0.0, "activation_function": "swish",
        "add_bias_logits": False, "add_final_layer_norm": False, "architectures": ["MarianMTModel"],
        "attention_dropout": 0.0, "bad_words_ids": [[p["pad"]]], "bos_token_id": 0, "classif_dropout": 0.0,
        "classifier_dropout": 0.0, "d_model": p["d"], "decoder_attention_heads": p["heads"],
        "decoder_ffn_dim": p["ffn"], "decoder_layerdrop": 0.0, "decoder_layers": p["dec"],
        "decoder_start_token_id": p["pad"], "decoder_vocab_size": p["vocab"], "dropout": 0.1,
        "encoder_attention_heads": p["heads"], "encoder_ffn_dim": p["ffn"], "encoder_layerdrop": 0.0,
        "encoder_layers": p["enc"], "eos_token_id": p["eos"], "extra_pos_embeddings": p["vocab"],
        "forced_eos_token_id": p["eos"], "init_std": 0.02, "is_encoder_decoder": True, "max_length": 512,
        "max_position_embeddings": p["max_pos"], "model_type": "marian", "normalize_before": False,
        "normalize_embedding": False, "num_beams": 4, "num_hidden_layers": p["enc"], "pad_token_id": p["pad"],
        "scale_embedding": True, "share_encoder_decoder_embeddings": True, "static_position_embeddings": True,
        "torch_dtype": "float32", "transformers_version": "4.38.2", "use_cache": True, "vocab_size": p["vocab"],
    }


def t5_config(p):
    return {
        "architectures": ["T5ForConditionalGeneration"], "d_ff": p["ffn"], "d_kv": p["d_kv"], "d_model": p["d"],
        "decoder_start_token_id": 0, "dense_act_fn": "relu", "dropout_rate": 0.1, "eos_token_id": 1,
        "feed_forward_proj": "relu", "initializer_factor": 1.0, "is_encoder_decoder": True, "is_gated_act": False,
        "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512, "num_decoder_layers": p["dec"],
        "num_heads": p["heads"], "num_layers": p["enc"], "output_past": True, "pad_token_id": 0,
        "relative_attention_max_distance": p["max_distance"], "relative_attention_num_buckets": p["buckets"],
        "tie_word_embeddings": True, "torch_dtype": "float32", "transformers_version": "4.40.0", "use_cache": True,
        "vocab_size": p["vocab"],
    }


def write_safetensors(path, tensors):
    """u64 little-endian header length, JSON header, raw little-endian data."""
    header, offset, order = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        n = t.size * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        order.append(t)
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for t in order:
            fh.write(np.ascontiguousarray(t, dtype="<f4").tobytes())
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        base = 8 + n
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[base + a:base + b], dtype="<f4").reshape(e["shape"])
    return out


def cmd_hf(out):
    for name, p in MODELS.items():
        d = os.path.join(out, name + "-hf")
        if os.path.exists(os.path.join(d, "model.safetensors")):
            continue
        os.makedirs(d, exist_ok=True)
        marian = p["family"] == "marian"
        w = marian_weights(p) if marian else t5_weights(p)
        cfg = marian_config(p) if marian else t5_config(p)
        gen = ({"bad_words_ids": [[p["pad"]]], "bos_token_id": 0, "decoder_start_token_id": p["pad"],
                "eos_token_id": p["eos"], "forced_eos_token_id": p["eos"], "max_length": 512, "num_beams": 4,
                "pad_token_id": p["pad"]} if marian else
               {"decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0})
        gen.update({"_from_model_config": True, "transformers_version": cfg["transformers_version"]})
        with open(os.path.join(d, "config.json"), "w") as fh:
            json.dump(cfg, fh, indent=2, sort_keys=True)
        with open(os.path.join(d, "generation_config.json"), "w") as fh:
            json.dump(gen, fh, indent=2, sort_keys=True)
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        print("wrote", d, flush=True)


# ---- CTranslate2 -------------------------------------------------------------
def tokens(p, n):
    names = {p["pad"]: "<pad>", p["eos"]: "</s>", p["unk"]: "<unk>"}
    return [names.get(i, "w%d" % i) for i in range(n)]


def import_ct2():
    sys.modules["torch"] = None  # ctranslate2 imports torch opportunistically; block it
    import ctranslate2
    return ctranslate2


def cmd_ct2(out, dest):
    import_ct2()
    from ctranslate2.specs import common_spec, transformer_spec
    for name, p in MODELS.items():
        target = os.path.join(dest, name + "-ct2")
        if os.path.exists(os.path.join(target, "model.bin")):
            continue
        w = read_safetensors(os.path.join(out, name + "-hf", "model.safetensors"))
        marian = p["family"] == "marian"

        def lin(spec, weight, bias=None):
            spec.weight = np.ascontiguousarray(weight)
            if bias is not None:
                spec.bias = np.ascontiguousarray(bias)

        def attention(spec, names, self_attn, has_bias):
            q, k, v, o = names
            b = (lambda n: w[n + ".bias"]) if has_bias else (lambda n: None)
            if self_attn:  # one fused q|k|v projection
                lin(spec.linear[0], np.concatenate([w[q + ".weight"], w[k + ".weight"], w[v + ".weight"]]),
                    np.concatenate([b(q), b(k), b(v)]) if has_bias else None)
            else:  # q, then a fused k|v over the encoder output
                lin(spec.linear[0], w[q + ".weight"], b(q))
                lin(spec.linear[1], np.concatenate([w[k + ".weight"], w[v + ".weight"]]),
                    np.concatenate([b(k), b(v)]) if has_bias else None)
            lin(spec.linear[-1], w[o + ".weight"], b(o))

        if marian:
            spec = transformer_spec.TransformerSpec.from_config(
                (p["enc"], p["dec"]), p["heads"], pre_norm=False, activation=common_spec.Activation.SWISH,
                layernorm_embedding=False)
            V = p["vocab"] - 1  # CT2's Marian drops the trailing <pad> row and starts from a zero embedding
            emb = w["model.shared.weight"][:V]

            def ln(spec_ln, n):
                spec_ln.gamma = w[n + ".weight"]
                spec_ln.beta = w[n + ".bias"]

            for stack_name, stack in (("encoder", spec.encoder), ("decoder", spec.decoder)):
                pre = "model.%s." % stack_name
                stack.scale_embeddings = math.sqrt(p["d"])
                stack.position_encodings.encodings = w[pre + "embed_positions.weight"]
                (stack.embeddings[0] if isinstance(stack.embeddings, list) else stack.embeddings).weight = emb
                for i, layer in enumerate(stack.layer):
                    q = pre + "layers.%d." % i
                    attention(layer.self_attention, [q + "self_attn.%s_proj" % x for x in ("q", "k", "v", "out")],
                              True, True)
                    ln(layer.self_attention.layer_norm, q + "self_attn_layer_norm")
                    if stack_name == "decoder":
                        attention(layer.attention, [q + "encoder_attn.%s_proj" % x for x in ("q", "k", "v", "out")],
                                  False, True)
                        ln(layer.attention.layer_norm, q + "encoder_attn_layer_norm")
                    lin(layer.ffn.linear_0, w[q + "fc1.weight"], w[q + "fc1.bias"])
                    lin(layer.ffn.linear_1, w[q + "fc2.weight"], w[q + "fc2.bias"])
                    ln(layer.ffn.layer_norm, q + "final_layer_norm")
            spec.decoder.start_from_zero_embedding = True
            lin(spec.decoder.projection, emb, w["final_logits_bias"].reshape(-1)[:V])
            spec.config.eos_token = "</s>"
            spec.config.unk_token = "<unk>"
            spec.config.decoder_start_token = "</s>"  # any: the decoder starts from a zero embedding
            vocab = tokens(p, V)
        else:
            spec = transformer_spec.TransformerSpec.from_config(
                (p["enc"], p["dec"]), p["heads"], pre_norm=True, activation=common_spec.Activation.RELU,
                ffn_glu=False, relative_attention_bias=True, rms_norm=True)
            V = p["vocab"]
            for stack_name, stack in (("encoder", spec.encoder), ("decoder", spec.decoder)):
                stack.layer_norm.gamma = w[stack_name + ".final_layer_norm.weight"]
                (stack.embeddings[0] if isinstance(stack.embeddings, list) else stack.embeddings).weight = \
                    w["shared.weight"]
                stack.scale_embeddings = False
                for i, layer in enumerate(stack.layer):
                    b = "%s.block.%d.layer." % (stack_name, i)
                    sa = layer.self_attention
                    sa.queries_scale = 1.0
                    attention(sa, [b + "0.SelfAttention." + x for x in "qkvo"], True, False)
                    sa.layer_norm.gamma = w[b + "0.layer_norm.weight"]
                    first = stack.layer[0].self_attention
                    if i == 0:
                        sa.relative_attention_bias = w[b + "0.SelfAttention.relative_attention_bias.weight"]
                        sa.relative_attention_max_distance = np.dtype("int32").type(p["max_distance"])
                    else:  # shared from the first block
                        sa.relative_attention_bias = first.relative_attention_bias
                        sa.relative_attention_max_distance = first.relative_attention_max_distance
                    ff = 1
                    if stack_name == "decoder":
                        layer.attention.queries_scale = 1.0
                        attention(layer.attention, [b + "1.EncDecAttention." + x for x in "qkvo"], False, False)
                        layer.attention.layer_norm.gamma = w[b + "1.layer_norm.weight"]
                        ff = 2
                    lin(layer.ffn.linear_0, w[b + "%d.DenseReluDense.wi.weight" % ff])
                    lin(layer.ffn.linear_1, w[b + "%d.DenseReluDense.wo.weight" % ff])
                    layer.ffn.layer_norm.gamma = w[b + "%d.layer_norm.weight" % ff]
            lin(spec.decoder.projection, w["shared.weight"])
            spec.decoder.scale_outputs = p["d"] ** -0.5  # tied: rescaled before the projection
            spec.config.bos_token = "<pad>"
            spec.config.eos_token = "</s>"
            spec.config.unk_token = "<unk>"
            spec.config.decoder_start_token = "<pad>"
            vocab = tokens(p, V)
        spec.register_source_vocabulary(vocab)
        spec.register_target_vocabulary(vocab)
        spec.validate()
        spec.optimize(quantization=None)  # f32 on disk; int8 at load (compute_type="int8")
        os.makedirs(target, exist_ok=True)
        spec.save(target)
        print("wrote", target, flush=True)


def read_ids(path, n=None):
    rows = []
    with open(path) as fh:
        for line in fh:
            if line.strip():
                rows.append([int(x) for x in line.split()])
    return rows[:n] if n else rows


def cmd_time(dest, name, dtype, threads, wl, reps):
    ct2 = import_ct2()
    p = MODELS[name]
    V = tokens(p, p["vocab"])
    batch = 16 if wl in ("b", "e") else 1
    beam = 4 if wl in ("d", "e") else 1
    inputs = os.environ.get("FAMILY_INPUTS") or os.path.join(dest, "..", "inputs.txt")
    src = [[V[i] for i in row] for row in read_ids(inputs, batch)]
    m = ct2.Translator(os.path.join(dest, name + "-ct2"), device="cpu", compute_type=dtype, intra_threads=threads,
                       inter_threads=1)

    def run():
        r = m.translate_batch(src, beam_size=beam, max_decoding_length=TGT_LEN, min_decoding_length=TGT_LEN,
                              max_batch_size=0)
        assert all(len(x.hypotheses[0]) == TGT_LEN for x in r), [len(x.hypotheses[0]) for x in r]
        return r

    for _ in range(3):
        run()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        ts.append((time.perf_counter() - t0) * 1000)
    print(json.dumps(dict(peer="ct2", model=name, dtype=dtype, threads=threads, workload=wl, batch=batch, beam=beam,
                          reps=reps, ms_median=statistics.median(ts), ms_min=min(ts), ms_max=max(ts),
                          maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


def cmd_greedy(dest, name, src_file):
    ct2 = import_ct2()
    p = MODELS[name]
    V = tokens(p, p["vocab"])
    index = {t: i for i, t in enumerate(V)}
    src = [[V[int(i)] for i in line.split("\t")[0].split()] for line in open(src_file) if line.strip()]
    m = ct2.Translator(os.path.join(dest, name + "-ct2"), device="cpu", compute_type="float32", intra_threads=1)
    for r in m.translate_batch(src, beam_size=1, max_decoding_length=TGT_LEN, min_decoding_length=TGT_LEN,
                               max_batch_size=16):
        print(" ".join(str(index[t]) for t in r.hypotheses[0]))


def cmd_sources(name, n):
    p = MODELS[name]
    g = np.random.default_rng(1000 + p["seed"])
    special = {p["pad"], p["eos"], p["unk"]}

    def ordinary(k):
        ids = []
        while len(ids) < k:
            i = int(g.integers(0, p["vocab"]))
            if i not in special:
                ids.append(i)
        return ids

    for _ in range(n):
        src = ordinary(int(g.integers(8, 41))) + [p["eos"]]
        print(" ".join(map(str, src)) + "\t" + " ".join(map(str, ordinary(TGT_LEN))))


def read_pairs(path, p):
    V = tokens(p, p["vocab"])
    src, tgt = [], []
    with open(path) as fh:
        for line in fh:
            s, _, t = line.rstrip("\n").partition("\t")
            src.append([V[int(i)] for i in s.split()])
            tgt.append([V[int(i)] for i in t.split()])
    return src, tgt


def cmd_score(dest, name, pairs):
    ct2 = import_ct2()
    p = MODELS[name]
    src, tgt = read_pairs(pairs, p)
    m = ct2.Translator(os.path.join(dest, name + "-ct2"), device="cpu", compute_type="float32", intra_threads=1)
    for r in m.score_batch(src, tgt, max_batch_size=16):
        print(" ".join("%.6f" % x for x in r.log_probs))


def cmd_compare(es_greedy, ct2_greedy, es_logp, ct2_logp):
    def lines(path):
        with open(path) as fh:
            return [line.split() for line in fh if line.strip()]

    a, b = lines(es_greedy), lines(ct2_greedy)
    n = max(len(a), len(b))
    same = sum(1 for x, y in zip(a, b) if x == y)
    first = sum(1 for x, y in zip(a, b) if x[:1] == y[:1])
    prefix = []
    for x, y in zip(a, b):
        k = 0
        while k < min(len(x), len(y)) and x[k] == y[k]:
            k += 1
        prefix.append(k)
    la, lb = lines(es_logp), lines(ct2_logp)
    diffs = [abs(float(x) - float(y)) for u, v in zip(la, lb) for x, y in zip(u, v)]
    shape_ok = len(la) == len(lb) and all(len(u) == len(v) for u, v in zip(la, lb)) and la
    print("%d / %d | %d / %d | %.1f of 24 | %s" % (
        same, n, first, n, statistics.mean(prefix) if prefix else 0,
        "%.2g (%d tokens)" % (max(diffs), len(diffs)) if shape_ok else "n/a (%d vs %d lines)" % (len(la), len(lb))))


def main():
    a = sys.argv[1:]
    if a[:1] == ["hf"] and len(a) == 2:
        cmd_hf(a[1])
    elif a[:1] == ["ct2"] and len(a) == 3:
        cmd_ct2(a[1], a[2])
    elif a[:1] == ["time"] and len(a) in (6, 7):
        cmd_time(a[1], a[2], a[3], int(a[4]), a[5], int(a[6]) if len(a) > 6 else 10)
    elif a[:1] == ["sources"] and len(a) == 3:
        cmd_sources(a[1], int(a[2]))
    elif a[:1] == ["score"] and len(a) == 4:
        cmd_score(a[1], a[2], a[3])
    elif a[:1] == ["compare"] and len(a) == 5:
        cmd_compare(*a[1:])
    elif a[:1] == ["greedy"] and len(a) == 4:
        cmd_greedy(a[1], a[2], a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

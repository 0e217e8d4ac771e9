#!/usr/bin/python3
"""Makes the end-to-end benchmark models (random weights, tutorial layout)
and their inputs with Debian's python3-torch:
    /usr/bin/python3 benchmarks/make_bench_models.py OUT_DIR
bench-base: d_model 512, 8 heads, FFN 2048, 6+6 layers, vocabularies 32000.
bench-tiny: d_model 256, 4 heads, FFN 1024, 6 encoder + 2 decoder layers,
vocabularies 16000. inputs.txt: 16 sources of 24 token ids (seeded)."""
import os
import random
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "g2p"))
from tutorial_model import Seq2SeqTransformer  # noqa: E402

MODELS = {
    "bench-base": dict(num_encoder_layers=6, num_decoder_layers=6, emb_size=512, nhead=8, src_vocab_size=32000,
                       tgt_vocab_size=32000, dim_feedforward=2048),
    "bench-tiny": dict(num_encoder_layers=6, num_decoder_layers=2, emb_size=256, nhead=4, src_vocab_size=16000,
                       tgt_vocab_size=16000, dim_feedforward=1024),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out/bench"
    os.makedirs(out, exist_ok=True)
    for name, cfg in MODELS.items():
        path = os.path.join(out, name + ".pth")
        if os.path.exists(path):
            continue
        torch.manual_seed(1)
        model = Seq2SeqTransformer(dropout=0.0, maxlen=256, **cfg)
        torch.save(model.state_dict(), path)
        print("wrote", path, flush=True)
    rng = random.Random(5)
    with open(os.path.join(out, "inputs.txt"), "w") as f:
        for _ in range(16):
            f.write(" ".join(str(rng.randint(4, 15999)) for _ in range(24)) + "\n")


if __name__ == "__main__":
    main()

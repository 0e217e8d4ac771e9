#!/usr/bin/python3
"""Random Whisper checkpoints of whisper-tiny's and whisper-base's shapes, for
benchmarks/peer_whisper_cpp.sh, and the assets folder whisper.cpp's
models/convert-pt-to-ggml.py reads.

    /usr/bin/python3 peer_whisper_models.py OUT_DIR SHARED_WHISPER_TESTDATA

Writes OUT_DIR/whisper-tiny.pt and OUT_DIR/whisper-base.pt as openai-whisper's
load_model downloads them (torch.save of {"dims", "model_state_dict"}, the
tensors float16 as the released checkpoints store them: convert-pt-to-ggml.py
writes the stored bytes of every 2-D tensor under its f16 type tag, so f32
tensors would make a broken ggml file), and OUT_DIR/whisper-assets/whisper/
assets/ with links to mel_filters.npz, multilingual.tiktoken and
gpt2.tiktoken (the layout of a whisper source tree, which that script takes
as its second argument). An existing .pt is kept.

The weights come from tests/fixtures/make_whisper.py's make_state_dict (the
same generator the unit tests use: linear weights of std 1.5/sqrt(fan_in),
LayerNorm weights near 1, Whisper's sinusoidal encoder positions), so the
activations stay in a sane range through the layers. Random weights: the
speed is the real model's; the tokens are not.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))

import torch  # noqa: E402

from make_whisper import make_state_dict  # noqa: E402

# openai-whisper's ModelDimensions of the released tiny and base checkpoints.
SHAPES = {
    "tiny": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
                 n_vocab=51865, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4),
    "base": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8, n_audio_layer=6,
                 n_vocab=51865, n_text_ctx=448, n_text_state=512, n_text_head=8, n_text_layer=6),
}
ASSETS = ["mel_filters.npz", "multilingual.tiktoken", "gpt2.tiktoken"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: peer_whisper_models.py OUT_DIR SHARED_WHISPER_TESTDATA")
    out, shared = sys.argv[1], os.path.abspath(sys.argv[2])
    for a in ASSETS:
        if not os.path.isfile(os.path.join(shared, a)):
            sys.exit(f"peer_whisper_models.py: no {a} in {shared}")
    os.makedirs(out, exist_ok=True)
    assets = os.path.join(out, "whisper-assets", "whisper", "assets")
    os.makedirs(assets, exist_ok=True)
    for a in ASSETS:
        link = os.path.join(assets, a)
        if not os.path.lexists(link):
            os.symlink(os.path.join(shared, a), link)
    for seed, (name, dims) in enumerate(SHAPES.items()):
        path = os.path.join(out, f"whisper-{name}.pt")
        if os.path.exists(path):
            continue
        sd = {k: v.half() for k, v in make_state_dict(seed=11 + seed, dims=dims).items()}
        torch.save({"dims": dict(dims), "model_state_dict": sd}, path + ".tmp")
        os.replace(path + ".tmp", path)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Trains the default grapheme-to-phoneme model: PyTorch's tutorial
Seq2SeqTransformer (the layout `edgeseq-convert --arch torch-transformer`
reads) on the CMU dictionary, characters in, phones with stress out.

    /usr/bin/python3 examples/g2p/train.py --minutes 100

Needs Debian's python3-torch and festlex-cmu; install libopenblas0-openmp
too, or PyTorch uses the reference BLAS and trains several times slower.
Resumes from WORK/last.pt if stopped (the learning-rate schedule is over
wall-clock time, so a resumed run continues where it was); without one,
--init examples/g2p/g2p.pth continues from the committed weights with a fresh
schedule. Writes the half-precision state dict and the vocabularies to
examples/g2p/ at every epoch."""
import argparse
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cmudict  # noqa: E402
from tutorial_model import Seq2SeqTransformer  # noqa: E402

CONFIG = dict(num_encoder_layers=3, num_decoder_layers=3, emb_size=192, nhead=4, dim_feedforward=768,
              dropout=0.1, maxlen=64)


def encode(seq, index):
    return [index.get(t, cmudict.UNK) for t in seq]


def batches(pairs, batch_size, shuffle):
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][0]), random.random() if shuffle else i))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        random.shuffle(chunks)
    for chunk in chunks:
        src = [pairs[i][0] for i in chunk]
        tgt = [[cmudict.BOS] + pairs[i][1] + [cmudict.EOS] for i in chunk]
        yield pad(src), pad(tgt)


def pad(seqs):
    n = max(len(s) for s in seqs)
    return torch.tensor([s + [cmudict.PAD] * (n - len(s)) for s in seqs]).t()  # [len, batch]


def masks(src, tgt):
    tgt_len = tgt.shape[0]
    tgt_mask = torch.triu(torch.full((tgt_len, tgt_len), float("-inf")), diagonal=1)
    src_mask = torch.zeros((src.shape[0], src.shape[0]))
    return src_mask, tgt_mask, (src == cmudict.PAD).t(), (tgt == cmudict.PAD).t()


@torch.no_grad()
def greedy(model, src, max_len):
    """Greedy decoding of a batch [len, batch] -> lists of ids (no BOS/EOS)."""
    src_mask = torch.zeros((src.shape[0], src.shape[0]))
    pad_mask = (src == cmudict.PAD).t()
    memory = model.encode(src, src_mask, pad_mask)
    ys = torch.full((1, src.shape[1]), cmudict.BOS, dtype=torch.long)
    done = torch.zeros(src.shape[1], dtype=torch.bool)
    for _ in range(max_len):
        tgt_mask = torch.triu(torch.full((ys.shape[0], ys.shape[0]), float("-inf")), diagonal=1)
        out = model.decode(ys, memory, tgt_mask, pad_mask)
        nxt = model.generator(out[-1]).argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, cmudict.PAD), nxt)
        ys = torch.cat([ys, nxt.unsqueeze(0)])
        done |= nxt == cmudict.EOS
        if done.all():
            break
    result = []
    for col in ys[1:].t().tolist():
        seq = []
        for t in col:
            if t in (cmudict.EOS, cmudict.PAD):
                break
            seq.append(t)
        result.append(seq)
    return result


def word_error_rate(model, words, dev, src_index, tgt_vocab, limit=2000):
    items = dev[:limit]
    wrong = wrong_ns = 0
    for i in range(0, len(items), 256):
        chunk = items[i:i + 256]
        src = pad([encode(w, src_index) for w, _ in chunk])
        for (w, prons), ids in zip(chunk, greedy(model, src, 40)):
            hyp = tuple(tgt_vocab[t] for t in ids)
            wrong += hyp not in prons
            wrong_ns += cmudict.strip_stress(hyp) not in {cmudict.strip_stress(p) for p in prons}
    return 100.0 * wrong / len(items), 100.0 * wrong_ns / len(items)


def save_release(model, src_vocab, tgt_vocab):
    sd = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    tmp = os.path.join(HERE, "g2p.pth.tmp")
    torch.save(sd, tmp)
    os.replace(tmp, os.path.join(HERE, "g2p.pth"))
    for name, vocab in (("letters.txt", src_vocab), ("phones.txt", tgt_vocab)):
        with open(os.path.join(HERE, name), "w") as f:
            f.write("\n".join(vocab) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=100, help="training time budget (wall clock, all runs)")
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/edgeseq-g2p"), help="resume state")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=1000, help="warm-up steps")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from this state dict (e.g. examples/g2p/g2p.pth) when there is no "
                                   "resume state: a warm restart with a fresh schedule")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    words = cmudict.parse()
    src_vocab, tgt_vocab = cmudict.vocabularies(words)
    src_index = {t: i for i, t in enumerate(src_vocab)}
    tgt_index = {t: i for i, t in enumerate(tgt_vocab)}
    train = [(encode(w, src_index), encode(p, tgt_index)) for w, prons in sorted(words.items())
             if cmudict.split_of(w) == "train" for p in prons]
    dev = [(w, prons) for w, prons in sorted(words.items()) if cmudict.split_of(w) == "dev"]
    print(f"{len(words)} words; {len(train)} training pairs, {len(dev)} dev words; "
          f"{len(src_vocab)} letters, {len(tgt_vocab)} phones", flush=True)

    model = Seq2SeqTransformer(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab), **CONFIG)
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = nn.CrossEntropyLoss(ignore_index=cmudict.PAD, label_smoothing=0.1)
    os.makedirs(args.work, exist_ok=True)
    last = os.path.join(args.work, "last.pt")
    state = {"step": 0, "elapsed": 0.0, "epoch": 0, "history": []}
    if not os.path.exists(last) and args.init:
        model.load_state_dict({k: v.float() for k, v in torch.load(args.init).items()})
        print(f"initialised from {args.init}", flush=True)
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        random.setstate(ck["py_random"])
        print(f"resumed at epoch {state['epoch']}, step {state['step']}, {state['elapsed'] / 60:.1f} min", flush=True)
    budget = args.minutes * 60

    def lr_at(step, elapsed):
        warm = min(1.0, (step + 1) / args.warmup)
        return args.lr * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget)))

    while state["elapsed"] < budget:
        model.train()
        t0, start_elapsed, total, count = time.time(), state["elapsed"], 0.0, 0
        for src, tgt in batches(train, args.batch, shuffle=True):
            elapsed = start_elapsed + time.time() - t0
            if elapsed >= budget:
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(state["step"], elapsed)
            tgt_in, tgt_out = tgt[:-1], tgt[1:]
            logits = model(src, tgt_in, *masks(src, tgt_in), (src == cmudict.PAD).t())
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state["step"] += 1
            total += loss.item()
            count += 1
        state["elapsed"] = start_elapsed + time.time() - t0
        state["epoch"] += 1
        model.eval()
        wer, wer_ns = word_error_rate(model, words, dev, src_index, tgt_vocab)
        state["history"].append({"epoch": state["epoch"], "minutes": round(state["elapsed"] / 60, 1),
                                 "loss": round(total / max(count, 1), 4), "dev_wer": round(wer, 2),
                                 "dev_wer_no_stress": round(wer_ns, 2)})
        print(state["history"][-1], flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                    "py_random": random.getstate()}, last + ".tmp")
        os.replace(last + ".tmp", last)
        save_release(model, src_vocab, tgt_vocab)
    print("done:", state["history"][-1] if state["history"] else state, flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Trains the default grapheme-to-phoneme model: PyTorch's tutorial
Seq2SeqTransformer (the layout `edgeseq-convert --arch torch-transformer`
reads) on the CMU dictionary, characters in, phones with stress out.

The committed model, in two phases (README, "The default model"):

    OMP_NUM_THREADS=1 /usr/bin/python3 examples/g2p/train.py --size base --epochs 73 --work W1
    OMP_NUM_THREADS=1 /usr/bin/python3 examples/g2p/train.py --size base --work W2 \
        --init W1/epoch-073.pt --schedule cosine --lr 2e-4 --warmup 100 --epochs 10
    /usr/bin/python3 examples/g2p/train.py --work W2 --release   # copy the result into examples/g2p/

Tried from the committed weights and not kept (whole dev split, int8, beam 4:
the committed model 25.74% WER without stress, 7.42% PER with it): a third
phase as the second with --dropout 0.2 (25.88 / 7.54; averaged with the
second phase: 25.84 / 7.48); --dropout 0 with a cosine from 5e-5 (worse on
2,000 dev words after 2 epochs). Neither fixed "hello".

On a GPU: --device cuda runs the same recipe and schedule (the tensors
move, nothing else). examples/g2p/train_device.sh is the prepared script for
the device tool's GPU machine: from scratch, more dropout (0.2, 0.3), cosine
from the start, 40 epochs, which takes about 4.7 hours on this project's
2-core CPU. Files are always written with CPU tensors.

Needs Debian's python3-torch and festlex-cmu; install libopenblas0-openmp
too, or PyTorch uses the reference BLAS and trains several times slower.

Recipe: Adam (betas 0.9/0.98), label smoothing 0.1, dropout 0.1, batches of
similar-length words; the learning rate warms up linearly for --warmup
steps, then decays with the inverse square root of the step (or, --schedule
cosine, to zero over --epochs epochs). The schedule depends on the step
only, never on the clock, so a run follows the same schedule on any CPU
(--minutes only stops a run early, between epochs). After every epoch it
measures the dev word error rate, keeps the weights of the last --average
epochs in WORK, and writes WORK/last.pt, from which a stopped run resumes at
the start of the epoch it was in (the recipe and the size are those it
started with). At the end it averages the kept epochs, measures the average
and the last epoch on the whole dev split, and writes the better one to
WORK/release/ (g2p.pth: f16 state dict of the tutorial model, same key
names; letters.txt; phones.txt); until then WORK/release/ holds the last
epoch's weights, rewritten after every epoch (so a stopped run leaves a
model). --average-only does the averaging step on demand (a run still going
overwrites its result after its next epoch: copy it first).
Nothing in examples/g2p/ is touched until --release copies WORK/release/
there. Without WORK/last.pt, --init starts from a state dict (e.g.
examples/g2p/g2p.pth) with a fresh schedule."""
import argparse
import glob
import math
import os
import random
import shutil
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cmudict  # noqa: E402
from tutorial_model import Seq2SeqTransformer  # noqa: E402

SIZES = {
    "small": dict(num_encoder_layers=3, num_decoder_layers=3, emb_size=192, nhead=4, dim_feedforward=768),
    "base": dict(num_encoder_layers=4, num_decoder_layers=4, emb_size=256, nhead=4, dim_feedforward=1024),
}
MAXLEN = 64
RELEASE_FILES = ("g2p.pth", "letters.txt", "phones.txt")


def config_of(state_dict, nhead=4):
    """The Seq2SeqTransformer arguments that fit a state dict (heads cannot be read from it)."""
    def layers(part):
        return len({k.split(".")[3] for k in state_dict if k.startswith(f"transformer.{part}.layers.")})
    return dict(num_encoder_layers=layers("encoder"), num_decoder_layers=layers("decoder"),
                emb_size=state_dict["generator.weight"].shape[1], nhead=nhead,
                dim_feedforward=state_dict["transformer.encoder.layers.0.linear1.weight"].shape[0],
                dropout=0.1, maxlen=MAXLEN)


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
    tgt_mask = torch.triu(torch.full((tgt_len, tgt_len), float("-inf"), device=tgt.device), diagonal=1)
    src_mask = torch.zeros((src.shape[0], src.shape[0]), device=src.device)
    return src_mask, tgt_mask, (src == cmudict.PAD).t(), (tgt == cmudict.PAD).t()


@torch.no_grad()
def greedy(model, src, max_len):
    """Greedy decoding of a batch [len, batch] -> lists of ids (no BOS/EOS)."""
    dev = src.device
    src_mask = torch.zeros((src.shape[0], src.shape[0]), device=dev)
    pad_mask = (src == cmudict.PAD).t()
    memory = model.encode(src, src_mask, pad_mask)
    ys = torch.full((1, src.shape[1]), cmudict.BOS, dtype=torch.long, device=dev)
    done = torch.zeros(src.shape[1], dtype=torch.bool, device=dev)
    for _ in range(max_len):
        tgt_mask = torch.triu(torch.full((ys.shape[0], ys.shape[0]), float("-inf"), device=dev), diagonal=1)
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


def word_error_rate(model, dev, src_index, tgt_vocab, limit=None):
    """(WER with stress, WER without) in %, greedy, on the first `limit` dev words (all if None)."""
    model.eval()
    items = dev[:limit]
    wrong = wrong_ns = 0
    for i in range(0, len(items), 256):
        chunk = items[i:i + 256]
        src = pad([encode(w, src_index) for w, _ in chunk]).to(next(model.parameters()).device)
        for (w, prons), ids in zip(chunk, greedy(model, src, 40)):
            hyp = tuple(tgt_vocab[t] for t in ids)
            wrong += hyp not in prons
            wrong_ns += cmudict.strip_stress(hyp) not in {cmudict.strip_stress(p) for p in prons}
    return 100.0 * wrong / len(items), 100.0 * wrong_ns / len(items)


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def on_cpu(state_dict):
    """A copy in the CPU's memory, so files written on a GPU load anywhere."""
    return {k: v.detach().cpu().clone() for k, v in state_dict.items()}


def write_release(state_dict, src_vocab, tgt_vocab, out_dir):
    """The f16 state dict (tutorial layout) and the two vocabularies, into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    save_atomic({k: v.half() if v.is_floating_point() else v for k, v in on_cpu(state_dict).items()},
                os.path.join(out_dir, "g2p.pth"))
    for name, vocab in (("letters.txt", src_vocab), ("phones.txt", tgt_vocab)):
        with open(os.path.join(out_dir, name), "w") as f:
            f.write("\n".join(vocab) + "\n")


def resume_state(weights, opt, state, recipe, device):
    """last.pt's contents; weights: the model's state dict, already on the CPU."""
    ck = {"model": weights, "opt": opt.state_dict(), "state": state, "recipe": recipe,
          "py_random": random.getstate(), "torch_random": torch.get_rng_state()}
    if device.type == "cuda":
        ck["cuda_random"] = torch.cuda.get_rng_state(device)
    return ck


def epoch_files(work):
    return sorted(glob.glob(os.path.join(work, "epoch-*.pt")))


def average(paths):
    """Element-wise mean of the state dicts in paths (f32)."""
    total = None
    for p in paths:
        sd = torch.load(p, map_location="cpu", weights_only=True)
        if total is None:
            total = {k: v.clone().float() for k, v in sd.items()}
        else:
            for k, v in sd.items():
                total[k] += v.float()
    return {k: v / len(paths) for k, v in total.items()}


def finish(model, work, dev, src_vocab, tgt_vocab, src_index, n_average, limit=None):
    """Averages the last n_average kept epochs, compares the average with the
    last epoch on the whole dev split (the first `limit` words in smoke
    tests), writes the better one to WORK/release/."""
    last_sd = on_cpu(model.state_dict())
    candidates = [("last epoch", last_sd)]
    paths = epoch_files(work)[-n_average:]
    if len(paths) > 1:
        candidates.append((f"average of {', '.join(os.path.basename(p) for p in paths)}", average(paths)))
    best = None
    for name, sd in candidates:
        model.load_state_dict(sd)
        wer, wer_ns = word_error_rate(model, dev, src_index, tgt_vocab, limit)
        print(f"{name}: dev WER {wer:.2f}% with stress, {wer_ns:.2f}% without ({len(dev[:limit])} words)",
              flush=True)
        if best is None or (wer_ns, wer) < best[0]:
            best = ((wer_ns, wer), name, sd)
    model.load_state_dict(last_sd)
    out = os.path.join(work, "release")
    write_release(best[2], src_vocab, tgt_vocab, out)
    print(f"wrote {out}/g2p.pth from the {best[1]}", flush=True)
    return {"epoch": int(os.path.basename(paths[-1])[6:9]) if paths else None, "from": best[1],
            "dev_wer": round(best[0][1], 2), "dev_wer_no_stress": round(best[0][0], 2), "dev_words": len(dev[:limit])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/edgeseq-g2p"), help="resume state and results")
    ap.add_argument("--epochs", type=int, default=60, help="train until this many epochs are done (all runs)")
    ap.add_argument("--size", choices=sorted(SIZES), default="small",
                    help="small: 192 wide, 4 heads, 768 feed-forward, 3+3 layers; base: 256, 4, 1024, 4+4")
    ap.add_argument("--minutes", type=float, help="stop this run (between epochs) after this many minutes")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")),
                    help="CPU threads (default: OMP_NUM_THREADS, else 2)")
    ap.add_argument("--device", default="cpu",
                    help="cpu (default), or cuda to train on a GPU: the same recipe and schedule "
                         "(examples/g2p/train_device.sh)")
    ap.add_argument("--dict", default=cmudict.CMUDICT, help="festlex-cmu's cmudict-0.4.out (default: %(default)s)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=1000, help="warm-up steps")
    ap.add_argument("--schedule", choices=["rsqrt", "cosine"], default="rsqrt")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--average", type=int, default=5, help="average the last N epochs at the end")
    ap.add_argument("--dev-limit", type=int, default=2000, help="dev words measured after each epoch (0: all)")
    ap.add_argument("--epoch-steps", type=int, help="cut every epoch to this many batches (smoke tests: the final "
                                                          "measurement then takes --dev-limit words too)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from this state dict (e.g. examples/g2p/g2p.pth) when there is no "
                                   "resume state: a warm restart with a fresh schedule")
    ap.add_argument("--average-only", action="store_true",
                    help="only average the kept epochs, measure and write WORK/release/")
    ap.add_argument("--release", nargs="?", const=HERE, metavar="DIR",
                    help="only copy WORK/release/ to DIR (default examples/g2p/)")
    args = ap.parse_args()

    if args.release:
        src = os.path.join(args.work, "release")
        for name in RELEASE_FILES:
            shutil.copyfile(os.path.join(src, name), os.path.join(args.release, name))
        print(f"copied {', '.join(RELEASE_FILES)} from {src} to {args.release}")
        return

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("train.py: --device cuda, but PyTorch sees no GPU here")
    words = cmudict.parse(args.dict)
    src_vocab, tgt_vocab = cmudict.vocabularies(words)
    src_index = {t: i for i, t in enumerate(src_vocab)}
    tgt_index = {t: i for i, t in enumerate(tgt_vocab)}
    train = [(encode(w, src_index), encode(p, tgt_index)) for w, prons in sorted(words.items())
             if cmudict.split_of(w) == "train" for p in prons]
    dev = [(w, prons) for w, prons in sorted(words.items()) if cmudict.split_of(w) == "dev"]
    print(f"{len(words)} words; {len(train)} training pairs, {len(dev)} dev words; "
          f"{len(src_vocab)} letters, {len(tgt_vocab)} phones", flush=True)

    os.makedirs(args.work, exist_ok=True)
    last = os.path.join(args.work, "last.pt")
    # This script's own resume file (floats and RNG states, which PyTorch
    # 1.13's weights-only reader refuses); state dicts from elsewhere (--init)
    # are read weights-only.
    ck = torch.load(last, map_location=device, weights_only=False) if os.path.exists(last) else None
    recipe = {k: getattr(args, k) for k in ("size", "batch", "lr", "warmup", "schedule", "dropout", "seed",
                                             "epoch_steps")}
    if ck:
        if ck["recipe"] != recipe:
            print(f"resuming with the recipe the run started with: {ck['recipe']}", flush=True)
        recipe = ck["recipe"]
    random.seed(recipe["seed"])
    torch.manual_seed(recipe["seed"])
    model = Seq2SeqTransformer(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                               **SIZES[recipe["size"]], dropout=recipe["dropout"], maxlen=MAXLEN)
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=recipe["lr"], betas=(0.9, 0.98), eps=1e-9)
    loss_fn = nn.CrossEntropyLoss(ignore_index=cmudict.PAD, label_smoothing=0.1)
    state = {"step": 0, "epoch": 0, "seconds": 0.0, "history": []}
    if ck:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        random.setstate(ck["py_random"])
        torch.set_rng_state(ck["torch_random"].cpu())
        if device.type == "cuda" and "cuda_random" in ck:
            torch.cuda.set_rng_state(ck["cuda_random"].cpu(), device)
        print(f"resumed at epoch {state['epoch']}, step {state['step']}", flush=True)
    elif args.init:
        init = torch.load(args.init, map_location=device, weights_only=True)  # read, never executed
        model.load_state_dict({k: v.float() for k, v in init.items()})
        print(f"initialised from {args.init}", flush=True)
    print(f"{recipe['size']}: {sum(p.numel() for p in model.parameters())} parameters", flush=True)

    # Smoke runs (--epoch-steps) measure the final choice on --dev-limit words too.
    final_limit = args.dev_limit if recipe["epoch_steps"] else None
    if args.average_only:
        if not ck:
            sys.exit(f"no {last} to average from")
        print(finish(model, args.work, dev, src_vocab, tgt_vocab, src_index, args.average, final_limit), flush=True)
        return

    steps_per_epoch = math.ceil(len(train) / recipe["batch"])
    if recipe["epoch_steps"]:
        steps_per_epoch = min(steps_per_epoch, recipe["epoch_steps"])

    def lr_at(step):
        step += 1
        warm = min(1.0, step / recipe["warmup"])
        if recipe["schedule"] == "rsqrt":
            return recipe["lr"] * min(warm, math.sqrt(recipe["warmup"] / step))
        return recipe["lr"] * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, step / (args.epochs * steps_per_epoch))))

    run_start = time.time()
    while state["epoch"] < args.epochs:
        if args.minutes is not None and time.time() - run_start >= args.minutes * 60:
            print(f"stopping after {args.minutes} minutes; run again to resume", flush=True)
            return
        model.train()
        # The loss is summed on the device and read every 50 steps: reading it
        # each step would make a GPU wait for the CPU between steps.
        t0, total, count = time.time(), torch.zeros((), device=device), 0
        for src, tgt in batches(train, recipe["batch"], shuffle=True):
            if count == steps_per_epoch:
                break
            src, tgt = src.to(device, non_blocking=True), tgt.to(device, non_blocking=True)
            for g in opt.param_groups:
                g["lr"] = lr_at(state["step"])
            tgt_in, tgt_out = tgt[:-1], tgt[1:]
            logits = model(src, tgt_in, *masks(src, tgt_in), (src == cmudict.PAD).t())
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state["step"] += 1
            total += loss.detach()
            count += 1
            if count % 50 == 0:
                print(f"  epoch {state['epoch'] + 1} step {count}/{steps_per_epoch} loss {total.item() / count:.4f} "
                      f"{(time.time() - t0) / count:.2f} s/step", flush=True)
        train_seconds = time.time() - t0
        state["epoch"] += 1
        wer, wer_ns = word_error_rate(model, dev, src_index, tgt_vocab, args.dev_limit or None)
        state["seconds"] += time.time() - t0
        state["history"].append({"epoch": state["epoch"], "step": state["step"], "lr": round(lr_at(state["step"]), 6),
                                 "loss": round(total.item() / max(count, 1), 4), "dev_wer": round(wer, 2),
                                 "dev_wer_no_stress": round(wer_ns, 2), "train_min": round(train_seconds / 60, 1),
                                 "total_min": round(state["seconds"] / 60, 1)})
        print(state["history"][-1], flush=True)
        weights = on_cpu(model.state_dict())  # one copy for the three files
        save_atomic(weights, os.path.join(args.work, f"epoch-{state['epoch']:03d}.pt"))
        for old in epoch_files(args.work)[:-max(args.average, 1)]:
            os.remove(old)
        save_atomic(resume_state(weights, opt, state, recipe, device), last)
        write_release(weights, src_vocab, tgt_vocab, os.path.join(args.work, "release"))
    if state.get("final", {}).get("epoch") != state["epoch"]:
        state["final"] = finish(model, args.work, dev, src_vocab, tgt_vocab, src_index, args.average,
                                final_limit)
        save_atomic(resume_state(on_cpu(model.state_dict()), opt, state, recipe, device), last)
    print("done:", state["history"][-1] if state["history"] else state, state.get("final"), flush=True)


if __name__ == "__main__":
    main()

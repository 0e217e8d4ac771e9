#!/usr/bin/python3
"""Soak test: one `edgeseq generate` process decodes many sentences (default
100,000 words through the default grapheme-to-phoneme model) and its resident
memory is sampled every 10,000 sentences. Memory may grow while the process
meets longer inputs for the first time (workspace pages become resident as
they are first used), but not after: no leaks, no fragmentation creep. Exit 1
if the resident memory at the end exceeds the one at the halfway point by
more than --tolerance-mb.

    scripts/soak.py [--model build/g2p-default.esq] [--sentences 100000]

The words are random letter strings (seeded), 1 to 14 letters, so the
batches mix short and long sources and every length of output. Runs with
OMP_NUM_THREADS=1 unless the caller set it."""
import argparse
import os
import random
import subprocess
import sys
import threading
import time


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default="build/tools/edgeseq")
    ap.add_argument("--model", default="build/g2p-default.esq")
    ap.add_argument("--sentences", type=int, default=100000)
    ap.add_argument("--tolerance-mb", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 14))) for _ in range(a.sentences)]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    p = subprocess.Popen([a.cli, "generate", "-m", a.model], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, bufsize=1 << 16)

    def feed():
        for w in words:
            p.stdin.write(w + "\n")
        p.stdin.close()

    writer = threading.Thread(target=feed)
    t0 = time.monotonic()
    writer.start()
    samples = []  # (sentences done, RSS MB)
    done = 0
    for line in p.stdout:
        if not line.strip():
            sys.exit(f"soak: empty output for sentence {done + 1} ('{words[done]}')")
        done += 1
        if done == 1000 or done % 10000 == 0 or done == a.sentences:
            samples.append((done, rss_mb(p.pid)))  # the last one before the process exits
    writer.join()
    err = p.stderr.read()
    status = p.wait()
    seconds = time.monotonic() - t0
    if status != 0 or done != a.sentences:
        sys.exit(f"soak: edgeseq exited {status} after {done} of {a.sentences} sentences: {err.strip()}")

    start = samples[0][1]
    half = min(samples, key=lambda s: abs(s[0] - a.sentences // 2))
    end = samples[-1][1]
    peak = max(r for _, r in samples)
    print(f"soak: {done} sentences in {seconds:.1f} s ({done / seconds:.0f}/s) in one process, model {a.model}")
    print("soak: RSS MB by sentences done: " + ", ".join(f"{n}: {r:.1f}" for n, r in samples))
    print(f"soak: RSS {start:.1f} MB after {samples[0][0]} sentences, {half[1]:.1f} MB after {half[0]}, "
          f"{end:.1f} MB at the end (second half {end - half[1]:+.1f} MB; peak {peak:.1f} MB)", flush=True)
    if end - half[1] > a.tolerance_mb:
        sys.exit(f"soak: resident memory grew by {end - half[1]:.1f} MB in the second half "
                 f"(more than {a.tolerance_mb} MB)")


if __name__ == "__main__":
    main()

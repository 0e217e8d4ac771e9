#!/usr/bin/python3
"""Agreement with CTranslate2 on its own model: edgeseq (converted from model.bin by edgeseq-convert) and
CTranslate2 4.8.1 on the same random sources, greedy, beam 4 and teacher-forced scoring, f32 and int8.
Prints a markdown table: how many outputs are identical, the share of identical tokens, and the largest
score and per-token log-probability differences.

  scripts/agree_ct2.py [BUILD_DIR]        (default build: a Release build with tools/edgeseq{,-convert})

Needs CTranslate2 built outside the repository by ../shared/peers/build_ct2.sh (PEERS, default
/tmp/edgeseq-peers) and the shared models (SHARED, default ../shared beside the checkout). N (default 200)
sources of 1-10 letters drawn from the source vocabulary with a fixed seed.
"""
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, sys.argv[1] if len(sys.argv) > 1 else "build")
PEERS = os.environ.get("PEERS", "/tmp/edgeseq-peers")
SHARED = os.environ.get("SHARED", os.path.join(ROOT, "..", "shared"))
N = int(os.environ.get("N", "200"))
MODELS = os.path.join(SHARED, "testdata", "ctranslate2-aren")

sys.path.insert(0, os.path.join(PEERS, "ct2src", "python"))
os.environ["LD_LIBRARY_PATH"] = os.path.join(PEERS, "ct2install", "lib")
sys.modules["torch"] = None  # ctranslate2 imports torch when present; not needed here
try:
    import ctranslate2  # noqa: E402
except ImportError as e:
    sys.exit("CTranslate2 is not built in %s (../shared/peers/build_ct2.sh; run this script with "
             "LD_LIBRARY_PATH=%s/ct2install/lib): %s" % (PEERS, PEERS, e))


def run(args, text):
    r = subprocess.run(args, input=text, capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    if r.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout.splitlines()


def edgeseq_generate(esq, sources, beam):
    lines = run([os.path.join(BUILD, "tools", "edgeseq"), "generate", "-m", esq, "--scores", "--beam", str(beam)],
                "".join(" ".join(s) + "\n" for s in sources))
    out = []
    for line in lines:
        score, _, text = line.partition("\t")
        out.append((text.split(), float(score)))
    return out


def edgeseq_score(esq, sources, targets):
    lines = run([os.path.join(BUILD, "tools", "edgeseq"), "score", "-m", esq, "--tokens"],
                "".join(" ".join(s) + "\t" + " ".join(t) + "\n" for s, t in zip(sources, targets)))
    return [[float(v) for v in line.split()] for line in lines]


def compare(a, b):
    """(identical outputs, identical tokens / tokens, max |score difference| over identical outputs)"""
    same = sum(x[0] == y[0] for x, y in zip(a, b))
    tokens = sum(max(len(x[0]), len(y[0])) for x, y in zip(a, b))
    equal = sum(sum(p == q for p, q in zip(x[0], y[0])) for x, y in zip(a, b))
    dscore = max((abs(x[1] - y[1]) for x, y in zip(a, b) if x[0] == y[0]), default=0.0)
    return same, equal / max(tokens, 1), dscore


def main():
    vocab = [line.rstrip("\n") for line in open(os.path.join(MODELS, "aren-transliteration", "source_vocabulary.txt"),
                                                 encoding="utf-8")]
    letters = [v for v in vocab if v not in ("<blank>", "<s>", "</s>", "<unk>")]
    rng = random.Random(2026)
    sources = [[rng.choice(letters) for _ in range(rng.randint(1, 10))] for _ in range(N)]
    rows = []
    ct2_f32 = {}
    with tempfile.TemporaryDirectory() as tmp:
        for folder, quantize in (("aren-transliteration", "f32"), ("aren-transliteration-i8", "int8")):
            esq = os.path.join(tmp, folder + ".esq")
            subprocess.run([os.path.join(BUILD, "tools", "edgeseq-convert"), os.path.join(MODELS, folder), "-o", esq,
                            "--quantize", quantize, "-q"], check=True)
            ct2 = ctranslate2.Translator(os.path.join(MODELS, folder), device="cpu", intra_threads=1)
            for beam in (1, 4):
                res = ct2.translate_batch(sources, beam_size=beam, max_batch_size=32)
                outs = [r.hypotheses[0] for r in res]
                # Scores of CTranslate2's outputs from its teacher-forced scoring: its translate_batch scores of
                # the same outputs are not always the same sums (seen: 0.015 apart on f32).
                c = [(o, sum(r.log_probs)) for o, r in zip(outs, ct2.score_batch(sources, outs))]
                e = edgeseq_generate(esq, sources, beam)
                same, tok, ds = compare(e, c)
                ref = ""
                if quantize == "f32":
                    ct2_f32[beam] = outs
                else:
                    ref = "; CTranslate2 int8 = its f32 on %d, edgeseq int8 = CTranslate2 f32 on %d" % (
                        sum(a == b for a, b in zip(outs, ct2_f32[beam])),
                        sum(a[0] == b for a, b in zip(e, ct2_f32[beam])))
                if beam > 1:
                    # Where the outputs differ, which one ranks higher (score / (tokens + 1), as both rank beams),
                    # both scored by CTranslate2 on this model.
                    diff = [i for i in range(N) if e[i][0] != c[i][0]]
                    mine = [sum(r.log_probs) for r in ct2.score_batch([sources[i] for i in diff],
                                                                      [e[i][0] for i in diff])] if diff else []
                    better = sum(m / (len(e[i][0]) + 1) > c[i][1] / (len(c[i][0]) + 1) + 1e-6
                                 for m, i in zip(mine, diff))
                    ref += "; where they differ, edgeseq's ranks higher on %d of %d" % (better, len(diff))
                rows.append("| %s | %s | %d / %d%s | %.2f%% | %.2g |" % (
                    quantize, "greedy" if beam == 1 else "beam 4", same, N, ref, 100 * tok, ds))
            targets = ct2_f32[1]
            c_lp = [r.log_probs for r in ct2.score_batch(sources, targets)]
            e_lp = edgeseq_score(esq, sources, targets)
            worst = lambda a, b: max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x, y))  # noqa: E731
            note = ""
            if quantize == "f32":
                f32_lp = c_lp
            else:
                note = " (vs CTranslate2 f32: edgeseq int8 %.2g, CTranslate2 int8 %.2g)" % (
                    worst(e_lp, f32_lp), worst(c_lp, f32_lp))
            rows.append("| %s | scoring (CTranslate2 f32's greedy outputs as targets) | | | %.2g per token%s |" % (
                quantize, worst(c_lp, e_lp), note))
    print("| model | search | identical outputs, edgeseq vs CTranslate2 | identical tokens | "
          "max abs. score diff. (identical outputs) |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

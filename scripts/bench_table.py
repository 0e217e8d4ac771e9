#!/usr/bin/env python3
"""Turns the JSON of kernels_bench and matmul_bench into markdown tables
(medians of the repetitions). Standard library only."""
import json
import re
import sys


def medians(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        rows[b["run_name"]] = b
    return data["context"], rows


def args(name):
    return dict(re.findall(r"(\w+):(\d+)", name))


def kernels_table(rows):
    out = ["| kernel | row length | Highway (dispatched) GB/s | Highway SCALAR GB/s | scalar reference GB/s | × reference | × SCALAR |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    by_key = {}
    for name, b in rows.items():
        a = args(name)
        kernel = name.split("/")[0].removeprefix("BM_")
        by_key.setdefault((kernel, int(a["cols"])), {})[int(a["variant"])] = b["bytes_per_second"] / 1e9
    for (kernel, cols), v in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if len(v) < 3:
            continue
        out.append(f"| {kernel} | {cols} | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.2f} | {v[0] / v[2]:.1f} | {v[0] / v[1]:.1f} |")
    return "\n".join(out)


def matmul_table(rows):
    out = ["| M | K | N | f32 GFLOP/s | int8 GFLOP/s | int8 ÷ f32 | f32 µs | int8 µs |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by_key = {}
    for name, b in rows.items():
        if not name.startswith("BM_Matmul/"):
            continue
        a = args(name)
        by_key.setdefault((int(a["M"]), int(a["K"]), int(a["N"])), {})[int(a["int8"])] = b
    for (m, k, n), v in sorted(by_key.items()):
        f, q = v[0]["GFLOP/s"] / 1e9, v[1]["GFLOP/s"] / 1e9
        ft, qt = v[0]["real_time"] / 1e3, v[1]["real_time"] / 1e3
        out.append(f"| {m} | {k} | {n} | {f:.1f} | {q:.1f} | {q / f:.2f} | {ft:.1f} | {qt:.1f} |")
    return "\n".join(out)


def backend_table(rows):
    out = ["| M | K | N | f32 oneDNN µs | f32 Highway µs | int8 oneDNN µs | int8 Highway µs | f32 Highway GFLOP/s | int8 Highway GFLOP/s |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by_key = {}
    for name, b in rows.items():
        if not name.startswith("BM_Backend/") or b.get("error_occurred"):
            continue
        a = args(name)
        by_key.setdefault((int(a["M"]), int(a["K"]), int(a["N"])), {})[(int(a["int8"]), int(a["highway"]))] = b

    def cell(v, key, bold_against):
        if key not in v:
            return "–"
        t = v[key]["real_time"] / 1e3
        other = v.get(bold_against)
        faster = other is not None and t < other["real_time"] / 1e3
        return f"**{t:.1f}**" if faster else f"{t:.1f}"

    for (m, k, n), v in sorted(by_key.items()):
        gf = lambda key: f"{v[key]['GFLOP/s'] / 1e9:.1f}" if key in v else "–"
        out.append(f"| {m} | {k} | {n} | {cell(v, (0, 0), (0, 1))} | {cell(v, (0, 1), (0, 0))} | "
                   f"{cell(v, (1, 0), (1, 1))} | {cell(v, (1, 1), (1, 0))} | {gf((0, 1))} | {gf((1, 1))} |")
    return "\n".join(out)


def main():
    ctx, kernels = medians(sys.argv[1])
    _, matmul = medians(sys.argv[2])
    print(f"Machine: {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz, "
          f"library built as {ctx.get('library_build_type')}; medians of 3 repetitions, OMP_NUM_THREADS=1.\n")
    print("### Kernels (64 rows; bytes read + written per second)\n")
    print(kernels_table(kernels))
    print("\n### Matmul y = x·Wᵀ, f32 vs int8 (the path ops::Matmul picks)\n")
    print(matmul_table(matmul))
    print("\n### Backends forced: oneDNN vs Highway by rows (bold: the faster; sets k*HighwayMaxRows)\n")
    print(backend_table(matmul))


if __name__ == "__main__":
    main()

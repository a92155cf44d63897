"""Benchmark the convnet kernels: loop reference, fast reference, PyTorch CPU.

    python assignment/bench/bench_kernels.py [--out build/bench.json] [--quick]

Run it through ``make bench`` (``BENCH_TORCH=1 make bench`` adds PyTorch), which pins
every BLAS to one thread. Layers come from real networks: 3x3 convolutions on a CIFAR
batch and on a ResNet stage, a 1x1 convolution, and 2x2 stride-2 pools on those
inputs. All arrays are float64, NCHW.

For each layer and implementation it times the forward pass and forward + backward
(best of several runs), and for convolutions the GFLOP/s of forward + backward
(``3 * 2*N*F*H'*W'*C*HH*WW`` flops: out, dx and dw are one such product each). Beside
them stand numpy's own matmul GFLOP/s on large square matrices and on the three
matrix products of each layer, so the distance to the BLAS limit shows. Times are
machine-dependent: nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
from pathlib import Path

# One thread everywhere, set before numpy or torch load their BLAS: the targets compare
# single-core speed, and a 2-core machine would otherwise measure scheduling noise.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# (name, x shape, w shape, conv_param)
CONV_LAYERS = [
    ("conv3x3 CIFAR", (64, 3, 32, 32), (32, 3, 3, 3), {"stride": 1, "pad": 1}),
    ("conv3x3 ResNet", (32, 64, 56, 56), (64, 64, 3, 3), {"stride": 1, "pad": 1}),
    ("conv1x1", (32, 256, 28, 28), (64, 256, 1, 1), {"stride": 1, "pad": 0}),
]
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}
POOL_LAYERS = [
    (f"{kind}pool2x2 {name.split()[-1]}", kind, x_shape)
    for kind in ("max", "avg")
    for name, x_shape, _, _ in CONV_LAYERS
]
# The loop reference is timed once on the full batch, unless a probe on LOOP_PROBE images
# predicts more than LOOP_BUDGET seconds: then the probe's time, scaled to the full
# batch (the cost is about linear in N), stands in and the table says so.
LOOP_PROBE = 4
LOOP_BUDGET = 30.0
# Wall time by default. --clock cpu counts this process's CPU time instead, which a
# busy machine inflates far less (time spent waiting for a core is left out; a shared
# cache and memory bus still cost).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK = CLOCKS["wall"]


def best_time(fn, *, repeat, min_seconds=0.2):
    """Best wall time of ``fn()`` over ``repeat`` runs (more, up to 50, while the total
    stays under ``min_seconds``), after one warm-up run."""
    fn()
    times = []
    while len(times) < repeat or sum(times) < min_seconds and len(times) < 50:
        start = CLOCK()
        fn()
        times.append(CLOCK() - start)
    return min(times)


def matmul_gflops(sizes=(1024, 2048)):
    """numpy float64 matmul GFLOP/s on square matrices: the best over ``sizes``."""
    rng = np.random.default_rng(0)
    best = 0.0
    for n in sizes:
        a, b = rng.random((n, n)), rng.random((n, n))
        out = np.empty((n, n))
        best = max(best, 2 * n**3 / best_time(functools.partial(np.matmul, a, b, out=out), repeat=5) / 1e9)
    return best


def layer_gemm_gflops(x_shape, w_shape, out_hw):
    """GFLOP/s of the layer's three matrix products alone, image by image, on
    preallocated operands: what im2col + BLAS could reach if the copies were free."""
    n, c, _, _ = x_shape
    f, _, hh, ww = w_shape
    k, p = c * hh * ww, out_hw[0] * out_hw[1]
    rng = np.random.default_rng(0)
    w2, cols, g = rng.random((f, k)), rng.random((n, k, p)), rng.random((n, f, p))
    out, dcols, dw = np.empty((n, f, p)), np.empty((n, k, p)), np.empty((f, k))

    def three_products():
        np.matmul(w2, cols, out=out)
        np.matmul(w2.T, g, out=dcols)
        for i in range(n):
            np.matmul(g[i], cols[i].T, out=dw)

    return 3 * 2 * n * f * k * p / best_time(three_products, repeat=5) / 1e9


def load_convnet(package_dir: Path):
    """Import the package at ``package_dir`` (a folder named convnet) and its modules."""
    sys.path.insert(0, str(package_dir.resolve().parent))
    import importlib

    return {m: importlib.import_module(f"{package_dir.name}.{m}") for m in ("conv", "pool", "fast")}


def numpy_case(forward, backward, args):
    """(forward, forward+backward) closures of a numpy layer."""
    out, _ = forward(*args)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    return (lambda: forward(*args)), (lambda: backward(dout, forward(*args)[1]))


def torch_case(torch, op, tensors):
    """(forward, forward+backward) closures of a torch op on float64 tensors that
    require grad: forward without autograd, then autograd.grad against a fixed dout."""
    dout = torch.randn_like(op(*tensors))

    def forward():
        with torch.no_grad():
            op(*tensors)

    return forward, (lambda: torch.autograd.grad(op(*tensors), tensors, dout))


def side_by_side(cases, *, repeat, min_seconds=0.3):
    """Best (forward, forward+backward) seconds of each case in ``{impl: (fwd, all)}``.

    Implementations alternate within each round, so that a burst of load from other
    processes hits them alike; rounds go on, up to 50, until ``min_seconds`` are spent."""
    for forward, both in cases.values():  # warm-up: caches, allocator, lazy imports
        forward()
        both()
    best = {impl: [float("inf"), float("inf")] for impl in cases}
    rounds, spent = 0, 0.0
    while rounds < repeat or (spent < min_seconds and rounds < 50):
        for impl, fns in cases.items():
            for i, fn in enumerate(fns):
                start = CLOCK()
                fn()
                elapsed = CLOCK() - start
                best[impl][i] = min(best[impl][i], elapsed)
                spent += elapsed
        rounds += 1
        sample_others()
    return {impl: tuple(times) for impl, times in best.items()}


def loop_timings(forward, backward, x, rest, *, probe, budget):
    """One run of the loop reference on the full batch ``x``, or on its first
    ``probe`` images scaled to the full batch when that would exceed ``budget`` seconds.
    Returns (fwd, fwd+bwd, images timed)."""

    def once(batch):
        fwd, both = numpy_case(forward, backward, (batch, *rest))
        start = CLOCK()
        fwd()
        middle = CLOCK()
        both()
        return middle - start, CLOCK() - middle

    n, small = x.shape[0], min(probe, x.shape[0])
    t_fwd, t_all = once(x[:small])
    if small == n or t_all * n / small > budget:
        return t_fwd * n / small, t_all * n / small, small
    return (*once(x), n)


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def square_matmul(n):
    """A closure running one float64 (n, n) @ (n, n) matmul, and its flop count."""
    rng = np.random.default_rng(0)
    a, b, out = rng.random((n, n)), rng.random((n, n)), np.empty((n, n))
    return (lambda: np.matmul(a, b, out=out)), 2 * n**3


def bench_conv(kernels, torch, *, repeat, loop, matmul_n):
    """Rows of the conv table. Each layer's rounds also time a square matmul, so that
    its "% of matmul" compares figures taken under the same load."""
    rows = []
    rng = np.random.default_rng(0)
    for name, x_shape, w_shape, param in CONV_LAYERS:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        n, (f, c, hh, ww) = x_shape[0], w_shape
        out_hw = [(x_shape[2 + a] + 2 * param["pad"] - w_shape[2 + a]) // param["stride"] + 1 for a in (0, 1)]
        flops = 3 * 2 * n * f * out_hw[0] * out_hw[1] * c * hh * ww
        base = {"layer": name, "x": list(x_shape), "w": list(w_shape), "conv_param": param, "flops_fwd_bwd": flops,
                "gemm_only_gflops": round(layer_gemm_gflops(x_shape, w_shape, out_hw), 1)}

        fast = kernels["fast"]
        cases = {"fast": numpy_case(fast.conv_forward_fast, fast.conv_backward_fast, (x, w, b, param))}
        if torch is not None:
            # op(xt, wt, bt): this layer's convolution, its param bound now rather than read from the loop.
            op = functools.partial(torch.nn.functional.conv2d, stride=param["stride"], padding=param["pad"])
            cases["torch"] = torch_case(torch, op, [torch.tensor(a, requires_grad=True) for a in (x, w, b)])
        square, square_flops = square_matmul(matmul_n)
        cases["matmul"] = (square, square)
        times = side_by_side(cases, repeat=repeat)
        base["matmul_gflops_alongside"] = round(square_flops / times.pop("matmul")[0] / 1e9, 1)

        conv = kernels["conv"]
        t_fwd, t_all, timed = loop_timings(conv.conv_forward, conv.conv_backward, x, (w, b, param), **loop)
        times = {"loop": (t_fwd, t_all), **times}
        for impl, (t_fwd, t_all) in times.items():
            rows.append({**base, "impl": impl, "timed_batch": timed if impl == "loop" else n, "fwd_s": t_fwd,
                         "fwd_bwd_s": t_all, "gflops": round(flops / t_all / 1e9, 1)})
    return rows


def bench_pool(kernels, torch, *, repeat, loop):
    rows = []
    rng = np.random.default_rng(0)
    pool_ops = {
        "max": ("max_pool_forward", "max_pool_backward", "max_pool2d"),
        "avg": ("avg_pool_forward", "avg_pool_backward", "avg_pool2d"),
    }
    for name, kind, x_shape in POOL_LAYERS:
        x = rng.standard_normal(x_shape)
        fwd, bwd, torch_op = pool_ops[kind]
        base = {"layer": name, "x": list(x_shape), "pool_param": POOL}
        n = x_shape[0]
        t_fwd, t_all, timed = loop_timings(getattr(kernels["pool"], fwd), getattr(kernels["pool"], bwd), x, (POOL,),
                                           **loop)
        rows.append({**base, "impl": "loop", "timed_batch": timed, "fwd_s": t_fwd, "fwd_bwd_s": t_all})
        fast = kernels["fast"]
        cases = {"fast": numpy_case(getattr(fast, fwd + "_fast"), getattr(fast, bwd + "_fast"), (x, POOL))}
        if torch is not None:
            op = getattr(torch.nn.functional, torch_op)
            cases["torch"] = torch_case(torch, lambda xt, op=op: op(xt, 2, 2), [torch.tensor(x, requires_grad=True)])
        for impl, (t_fwd, t_all) in side_by_side(cases, repeat=repeat).items():
            rows.append({**base, "impl": impl, "timed_batch": n, "fwd_s": t_fwd, "fwd_bwd_s": t_all})
    return rows


def bench_grading(path):
    """Seconds per submission of ``make grade`` (reference, loop-based correct,
    stubs) and the framework's overhead outside student calls.

    Hook: the grading benchmark belongs to the autograder (``make bench-grade``);
    its JSON, when present, is carried into this report as it is."""
    if path.exists():
        return {"source": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
                **json.loads(path.read_text(encoding="utf-8"))}
    return {"status": f"not measured: run `make bench-grade` first (writes {path.name})"}


def blas_info(torch):
    """Which BLAS, kernel and thread count numpy (and torch) run with."""
    info = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
    except ImportError:
        config = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        info["blas"] = {k: config.get(k) for k in ("name", "version")}
    info["env"] = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                                  "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def _load():
    """1-minute load average (this process counts in it too)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


BUSY_SAMPLES = []


def sample_others():
    """Record how many other processes are runnable right now: they compete for the
    cores, cache and memory bus, and skew every figure taken meanwhile."""
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return
    BUSY_SAMPLES.append(max(running - 1, 0))


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def targets(conv_rows):
    """The issue's targets, layer by layer: fast conv forward+backward no slower than
    torch float64 (ratio <= 1) and at least half of numpy's matmul GFLOP/s (the
    matmul timed in the same rounds as the layer)."""
    verdicts = []
    for name in dict.fromkeys(r["layer"] for r in conv_rows):
        by = {r["impl"]: r for r in conv_rows if r["layer"] == name}
        fast, torch = by["fast"], by.get("torch")
        matmul = fast["matmul_gflops_alongside"]
        ratio = fast["fwd_bwd_s"] / torch["fwd_bwd_s"] if torch else None
        verdicts.append({
            "layer": name,
            "fast_over_torch": None if ratio is None else round(ratio, 3),
            "faster_than_torch": None if ratio is None else ratio <= 1.0,
            "matmul_gflops": matmul,
            "fraction_of_matmul": round(fast["gflops"] / matmul, 3),
            "half_of_matmul": fast["gflops"] >= 0.5 * matmul,
        })
    return verdicts


def print_report(report):
    matmul = report["matmul_gflops"]
    print(f"CPU: {report['machine']['cpu']}, one thread, {report['clock']} time; "
          f"numpy {report['blas']['numpy']}", end="")
    for pool in report["blas"].get("threadpools", []):
        kernel = f" {pool['version']} kernel {pool['architecture']}" if pool["architecture"] else ""
        print(f"; {pool['internal_api']}{kernel} x{pool['num_threads']}", end="")
    if "torch" in report["blas"]:
        print(f"; torch {report['blas']['torch']} x{report['blas']['torch_threads']}", end="")
    machine = report["machine"]
    busy = machine["busy_fraction"]
    if busy is not None and busy > 0.25:
        print(f"\nWARNING: another process was runnable in {100 * busy:.0f}% of samples (load average "
              f"{machine['load_before']} before, {machine['load_after']} after): figures are noisy", end="")
    alongside = ", ".join(f"{v['layer']} {v['matmul_gflops']:.1f}" for v in report["targets"])
    print(f"\nnumpy matmul (float64, square): {matmul:.1f} GFLOP/s at the start; in each layer's rounds: {alongside}\n")
    header = (f"{'layer':<18} {'impl':<6} {'fwd ms':>10} {'fwd+bwd ms':>11} {'GFLOP/s':>8} {'% matmul':>8} "
              f"{'vs torch':>8} {'GEMM-only':>9}  note")
    print(header)
    print("-" * len(header))
    rows = report["conv"] + report["pool"]
    for row in rows:
        torch_row = next((r for r in rows if r["layer"] == row["layer"] and r["impl"] == "torch"), None)
        vs_torch = f"{row['fwd_bwd_s'] / torch_row['fwd_bwd_s']:.2f}x" if torch_row else "-"
        gflops = f"{row['gflops']:.1f}" if "gflops" in row else "-"
        share = f"{100 * row['gflops'] / row['matmul_gflops_alongside']:.0f}%" if "gflops" in row else "-"
        gemm = f"{row['gemm_only_gflops']:.1f}" if "gemm_only_gflops" in row and row["impl"] == "fast" else ""
        note = "" if row["timed_batch"] == row["x"][0] else (
            f"timed on N={row['timed_batch']}, scaled x{row['x'][0] / row['timed_batch']:g}")
        print(f"{row['layer']:<18} {row['impl']:<6} {1e3 * row['fwd_s']:>10.2f} {1e3 * row['fwd_bwd_s']:>11.2f} "
              f"{gflops:>8} {share:>8} {vs_torch:>8} {gemm:>9}  {note}")
    print("\nGEMM-only: GFLOP/s of the layer's three matrix products alone (image by image, no copies).")
    print("vs torch: time over PyTorch's (below 1.00x is faster).")
    for v in report["targets"]:
        torch_part = "torch not installed" if v["fast_over_torch"] is None else (
            f"{v['fast_over_torch']:.2f}x torch ({'met' if v['faster_than_torch'] else 'MISSED'})")
        print(f"target {v['layer']:<15}: {torch_part}; {100 * v['fraction_of_matmul']:.0f}% of matmul "
              f"({v['matmul_gflops']:.1f} GFLOP/s) "
              f"({'met' if v['half_of_matmul'] else 'MISSED'})")
    grading = report["grading"]
    print(f"grading: {grading['status'] if 'status' in grading else 'from ' + grading['source']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--package", type=Path, default=ROOT / "solutions" / "convnet",
                        help="the convnet package to time (default: the reference)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (the best counts)")
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    parser.add_argument("--grading-json", type=Path, default=ROOT / "build" / "bench-grade.json",
                        help="the grading benchmark's figures, carried into the report when present")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    # --quick: the loop reference on one image, scaled.
    loop = {"probe": 1, "budget": 0.0} if args.quick else {"probe": LOOP_PROBE, "budget": LOOP_BUDGET}

    load_before = _load()
    kernels = load_convnet(args.package)
    torch = None if args.no_torch else import_torch()
    matmul = matmul_gflops((512,) if args.quick else (1024, 2048))
    conv_rows = bench_conv(kernels, torch, repeat=repeat, loop=loop, matmul_n=512 if args.quick else 1024)
    busy_fraction = round(sum(s > 0 for s in BUSY_SAMPLES) / len(BUSY_SAMPLES), 2) if BUSY_SAMPLES else None
    report = {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "load_before": load_before, "load_after": _load(), "busy_fraction": busy_fraction},
        "blas": blas_info(torch),
        "threads": 1,
        "clock": args.clock,
        "timing": f"best of >= {repeat} rounds after a warm-up, implementations alternating within a round; "
                  "loop reference: one run",
        "matmul_gflops": round(matmul, 1),
        "conv": conv_rows,
        "pool": bench_pool(kernels, torch, repeat=repeat, loop=loop),
        "targets": targets(conv_rows),
        "grading": bench_grading(args.grading_json),
    }
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compare packages (correct versions and bugs) against the loops version.

usage: python check.py [pkg_dir ...]   (default: every correct/* package and every bug of bugs.yaml)
Prints, for each package, the cases where it differs from the reference.
"""
import copy, importlib.util, pathlib, sys, traceback
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
REF_DIR = ROOT / "correct" / "loops" / "convnet"
_count = 0


def load(pkg_dir):
    global _count
    _count += 1
    name = f"cand{_count}"
    init = pathlib.Path(pkg_dir) / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(pkg_dir)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    mod.fast = importlib.import_module(name + ".fast")
    return mod


def special(res):
    return isinstance(res, tuple) and len(res) > 0 and isinstance(res[0], str) and res[0] in ("RAISES", "CHANGED-INPUT")


def rng(seed):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- cases
# each case: (name, tags, function(pkg) -> result); results are compared structurally.
CASES = []


def case(name, tags=""):
    def deco(fn):
        CASES.append((name, tags, fn))
        return fn
    return deco


def call(fn, *args, **kw):
    """Call fn on deep copies; report exceptions, and in-place changes of inputs."""
    copies = copy.deepcopy((args, kw))
    try:
        res = fn(*copies[0], **copies[1])
    except Exception as e:  # noqa
        return ("RAISES", type(e).__name__, str(e)[:60])
    changed = not _same(copies, (args, kw), exact=True)
    return ("CHANGED-INPUT", res) if changed else res


# shapes
for n, f, s, p in [(7, 3, 1, 0), (7, 3, 2, 0), (7, 3, 1, 1), (7, 3, 2, 1), (7, 3, 3, 1), (7, 3, 3, 0), (5, 5, 1, 0),
                   (5, 6, 1, 0), (5, 7, 1, 1), (5, 1, 2, 0), (6, 2, 2, 0), (4, 3, 1, 2), (10, 4, 3, 0), (1, 1, 1, 0),
                   (0, 1, 1, 0), (5, 3, 0, 0), (5, 3, 1, -1), (5, 0, 1, 0), (5, 2, 4, 1), (224, 3, 1, 1), (6, 3, 2, 1)]:
    case(f"conv_output_size{(n, f, s, p)}")(lambda m, a=(n, f, s, p): call(m.conv_output_size, a[0], a[1], stride=a[2], pad=a[3]))
    case(f"conv_output_size_positional{(n, f, s, p)}")(lambda m, a=(n, f, s, p): call(m.conv_output_size, *a))
case("conv_output_size defaults (7,3)", "defaults")(lambda m: call(m.conv_output_size, 7, 3))
case("conv_output_size defaults (7,3,stride=2)", "defaults")(lambda m: call(m.conv_output_size, 7, 3, stride=2))
case("conv_output_size float n", "types")(lambda m: call(m.conv_output_size, 7.0, 3))
case("conv_output_size msg 2.33", "message")(lambda m: ("2.33" in str(call(m.conv_output_size, 7, 3, 3, 0)),))
case("pool_output_size msg 2.50", "message")(lambda m: ("2.50" in str(call(m.pool_output_size, 5, 2, 2)),))
for n, f, s in [(4, 2, 2), (224, 2, 2), (7, 3, 2), (5, 2, 2), (5, 3, 1), (4, 4, 1), (3, 4, 1), (6, 3, 3), (6, 2, 3),
                (9, 3, 3), (1, 1, 1), (5, 1, 2), (5, 0, 1), (5, 2, 0), (8, 2, 3), (13, 3, 5)]:
    case(f"pool_output_size{(n, f, s)}")(lambda m, a=(n, f, s): call(m.pool_output_size, *a))
for f in [1, 2, 3, 4, 5, 7, 9, 11, 0, -1, -3]:
    case(f"same_padding({f})")(lambda m, f=f: call(m.same_padding, f))
for pl, k in [(2, 3), (1, 1), (3, 5), (2, 1), (1, 7), (4, 4)]:
    case(f"receptive_field{(pl, k)}")(lambda m, a=(pl, k): call(m.receptive_field, *a))

# params
for a in [(40000, 40000), (10, 5), (1, 1), (25088, 4096), (0, 3)]:
    for bias in (True, False):
        case(f"fc_params{a} bias={bias}")(lambda m, a=a, bias=bias: call(m.fc_params, *a, bias=bias))
    case(f"fc_params{a} default")(lambda m, a=a: call(m.fc_params, *a))
for a in [(200, 200, 10, 1, 1), (5, 4, 3, 2, 6), (1, 1, 1, 1, 1), (3, 7, 2, 5, 4)]:
    for bias in (True, False):
        case(f"locally_connected_params{a} bias={bias}")(lambda m, a=a, bias=bias: call(m.locally_connected_params, *a, bias=bias))
    case(f"locally_connected_params{a} default")(lambda m, a=a: call(m.locally_connected_params, *a))
for a in [(10, 1, 1), (5, 3, 1), (3, 3, 64), (1, 64, 32), (3, 4, 2), (7, 2, 5)]:
    for bias in (True, False):
        case(f"conv_params{a} bias={bias}")(lambda m, a=a, bias=bias: call(m.conv_params, *a, bias=bias))
    case(f"conv_params{a} default")(lambda m, a=a: call(m.conv_params, *a))
case("pool_params()")(lambda m: call(m.pool_params))


def vgg16():
    L = []
    for k, reps in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        L += [{"type": "conv", "filters": k, "size": 3, "stride": 1, "pad": 1}] * reps
        L += [{"type": "pool", "size": 2, "stride": 2}]
    return L + [{"type": "fc", "units": 4096}, {"type": "fc", "units": 4096}, {"type": "fc", "units": 1000}]


NETS = {
    "vgg16": (vgg16(), (224, 224, 3)),
    "vgg16 defaults omitted": ([{"type": "conv", "filters": 64, "size": 3, "pad": 1}, {"type": "pool", "size": 2, "stride": 2},
                                {"type": "fc", "units": 10}], (32, 32, 3)),
    "conv no stride no pad": ([{"type": "conv", "filters": 4, "size": 5}], (32, 28, 3)),
    "conv stride only": ([{"type": "conv", "filters": 6, "size": 3, "stride": 2}], (9, 7, 2)),
    "nonsquare input": ([{"type": "conv", "filters": 8, "size": 3, "stride": 1, "pad": 0},
                         {"type": "pool", "size": 2, "stride": 2}, {"type": "fc", "units": 5}], (10, 14, 3)),
    "pool overlap": ([{"type": "pool", "size": 3, "stride": 2}, {"type": "conv", "filters": 2, "size": 1}], (7, 9, 5)),
    "fc then fc": ([{"type": "fc", "units": 7}, {"type": "fc", "units": 3}], (4, 5, 6)),
    "pool then fc (public)": ([{"type": "pool", "size": 2, "stride": 2}, {"type": "fc", "units": 4096}], (14, 14, 512)),
    "conv pad 2 stride 2": ([{"type": "conv", "filters": 3, "size": 5, "stride": 2, "pad": 2}], (11, 7, 4)),
    "empty": ([], (5, 5, 3)),
    "ERR unknown": ([{"type": "conv", "filters": 2, "size": 3}, {"type": "relu"}], (8, 8, 3)),
    "ERR missing key": ([{"type": "conv", "size": 3}], (8, 8, 3)),
    "ERR missing units": ([{"type": "fc"}], (8, 8, 3)),
    "ERR geometry": ([{"type": "conv", "filters": 2, "size": 3, "stride": 1}, {"type": "conv", "filters": 2, "size": 3, "stride": 3}], (7, 7, 3)),
    "ERR pool geometry": ([{"type": "pool", "size": 2, "stride": 2}], (5, 4, 3)),
}


def summary_norm(res):
    if isinstance(res, tuple) and res and res[0] == "RAISES":
        # keep the type, and the "layer i (type): " prefix
        msg = res[2]
        return ("RAISES", res[1], bool(__import__("re").match(r"layer \d+ \(\w+\): ", msg)))
    if isinstance(res, list):
        return [(r["type"], tuple(int(v) for v in r["output_shape"]), r["params"], type(r["params"]).__name__) for r in res]
    return res


for key, (layers, shape) in NETS.items():
    case(f"network_summary[{key}]")(lambda m, L=layers, s=shape: summary_norm(call(m.network_summary, L, s)))
    if not key.startswith("ERR"):
        case(f"count_params[{key}]")(lambda m, L=layers, s=shape: call(m.count_params, L, s))

# zero_pad
for shape, pad in [((2, 3, 2, 3), 2), ((2, 3, 2, 3), 0), ((1, 1, 3, 3), 1), ((1, 2, 4, 2), 1), ((3, 1, 2, 2), 3), ((2, 2, 3, 5), 1)]:
    case(f"zero_pad{shape} pad={pad}")(lambda m, s=shape, p=pad: call(m.zero_pad, rng(5).normal(size=s), p))

# conv: (x shape, w shape, stride, pad)
CONV = [((1, 1, 5, 5), (1, 1, 3, 3), 1, 0), ((1, 1, 5, 5), (1, 1, 3, 3), 1, 1), ((1, 1, 5, 5), (1, 1, 3, 3), 2, 0),
        ((1, 1, 5, 5), (1, 1, 3, 3), 2, 1), ((2, 3, 5, 5), (2, 3, 3, 3), 2, 1), ((2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
        ((2, 2, 5, 6), (3, 2, 3, 2), 1, 0), ((1, 2, 7, 7), (2, 2, 3, 3), 2, 0), ((3, 2, 6, 4), (4, 2, 2, 2), 2, 0),
        ((2, 1, 4, 7), (1, 1, 2, 3), 1, 1), ((1, 3, 4, 4), (2, 3, 1, 1), 1, 0), ((2, 2, 3, 5), (2, 2, 1, 1), 2, 0),
        ((2, 2, 9, 7), (3, 2, 3, 1), 3, 0), ((1, 2, 5, 4), (2, 2, 5, 4), 1, 0), ((2, 3, 6, 6), (2, 3, 4, 4), 2, 1),
        ((2, 2, 5, 4), (2, 2, 3, 2), 1, 1), ((1, 1, 3, 3), (1, 1, 3, 3), 1, 2), ((2, 3, 7, 5), (3, 3, 3, 3), 2, 2),
        ((2, 3, 5, 3), (2, 3, 1, 3), 1, 0), ((2, 2, 3, 6), (2, 2, 3, 1), 1, 0)]


def conv_inputs(i, xs, ws, integer=False):
    r = rng(100 + i)
    if integer:
        return r.integers(-3, 4, size=xs), r.integers(-2, 3, size=ws), r.integers(-2, 3, size=ws[0])
    return r.normal(size=xs), r.normal(size=ws), r.normal(size=ws[0])


def conv_fwd(m, fn, args, hand_cache=True):
    x, w, b, param = args
    res = call(fn, x, w, b, param)
    if special(res):
        return res
    out, cache = res
    return out


def conv_cache_ok(m, x, w, b, param):
    out, cache = m.conv_forward(x, w, b, param)
    return (isinstance(cache, tuple) and len(cache) == 4 and cache[0] is x and cache[1] is w and cache[2] is b
            and cache[3] is param)


def bwd_inputs(i, xs, ws, s, p, integer=False):
    x, w, b = conv_inputs(i, xs, ws, integer)
    ho = (xs[2] - ws[2] + 2 * p) // s + 1
    wo = (xs[3] - ws[3] + 2 * p) // s + 1
    dout = rng(200 + i).normal(size=(xs[0], ws[0], ho, wo))
    return x, w, b, {"stride": s, "pad": p}, dout


for i, (xs, ws, s, p) in enumerate(CONV):
    tag = f"x{xs} w{ws} s={s} p={p}"
    case(f"conv_forward {tag}")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: conv_fwd(m, m.conv_forward, (*conv_inputs(i, xs, ws), {"stride": s, "pad": p})))
    case(f"conv_backward {tag}")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: (lambda x, w, b, par, d: call(m.conv_backward, d, (x, w, b, par)))(*bwd_inputs(i, xs, ws, s, p)))
    case(f"conv_forward_fast {tag}", "fast")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: conv_fwd(m, m.fast.conv_forward_fast, (*conv_inputs(i, xs, ws), {"stride": s, "pad": p})))
    case(f"conv_backward_fast {tag}", "fast")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: (lambda x, w, b, par, d: call(m.fast.conv_backward_fast, d, m.fast.conv_forward_fast(x, w, b, par)[1]))(*bwd_inputs(i, xs, ws, s, p)))
for i in (0, 4, 6, 8):
    xs, ws, s, p = CONV[i]
    tag = f"x{xs} w{ws} s={s} p={p}"
    case(f"conv_forward INT {tag}", "int")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: conv_fwd(m, m.conv_forward, (*conv_inputs(i, xs, ws, True), {"stride": s, "pad": p})))
    case(f"conv_backward INT {tag}", "int")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: (lambda x, w, b, par, d: call(m.conv_backward, d, (x, w, b, par)))(*bwd_inputs(i, xs, ws, s, p, True)))
    case(f"conv_forward_fast INT {tag}", "fast int")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: conv_fwd(m, m.fast.conv_forward_fast, (*conv_inputs(i, xs, ws, True), {"stride": s, "pad": p})))
    case(f"conv cache is (x, w, b, param) {tag}")(lambda m, i=i, xs=xs, ws=ws, s=s, p=p: conv_cache_ok(m, *conv_inputs(i, xs, ws), {"stride": s, "pad": p}))
for name, (xs, ws, b_shape, s, p) in {"C mismatch": ((1, 2, 5, 5), (1, 3, 3, 3), (1,), 1, 0),
                                      "b wrong": ((1, 2, 5, 5), (2, 2, 3, 3), (3,), 1, 0),
                                      "b 2d": ((1, 2, 5, 5), (2, 2, 3, 3), (2, 1), 1, 0),
                                      "no tile": ((1, 1, 7, 7), (1, 1, 3, 3), (1,), 3, 0),
                                      "no tile W only": ((1, 1, 7, 8), (1, 1, 3, 3), (1,), 2, 0),
                                      "filter too big": ((1, 1, 3, 3), (1, 1, 5, 5), (1,), 1, 0)}.items():
    args = lambda xs=xs, ws=ws, b_shape=b_shape, s=s, p=p: (np.ones(xs), np.ones(ws), np.ones(b_shape), {"stride": s, "pad": p})
    case(f"conv_forward ERR {name}", "error")(lambda m, a=args: conv_fwd(m, m.conv_forward, a()))
    case(f"conv_forward_fast ERR {name}", "error fast")(lambda m, a=args: conv_fwd(m, m.fast.conv_forward_fast, a()))

# pooling: (x shape, PH, PW, S)
POOL = [((1, 1, 4, 4), 2, 2, 2), ((2, 2, 5, 7), 3, 3, 2), ((2, 2, 4, 4), 2, 2, 2), ((2, 2, 4, 6), 2, 3, 1),
        ((1, 2, 6, 6), 3, 3, 3), ((2, 1, 4, 5), 3, 2, 1), ((2, 3, 6, 4), 2, 2, 2), ((1, 1, 5, 5), 3, 3, 1),
        ((2, 2, 7, 5), 3, 1, 2), ((1, 3, 4, 8), 2, 4, 2), ((3, 2, 5, 5), 1, 1, 2), ((2, 2, 8, 9), 2, 3, 3),
        ((1, 1, 4, 4), 4, 4, 1), ((2, 2, 3, 3), 2, 2, 1)]


def pool_x(i, xs, ties=False):
    r = rng(300 + i)
    if ties:
        return r.integers(0, 3, size=xs).astype(np.float64)
    return r.permutation(int(np.prod(xs))).reshape(xs) * 0.1 - 1.0


for i, (xs, ph, pw, s) in enumerate(POOL):
    pp = {"pool_height": ph, "pool_width": pw, "stride": s}
    tag = f"x{xs} {ph}x{pw} s={s}"
    for kind in ("max", "avg"):
        for ties in ((False, True) if kind == "max" else (False,)):
            t = " TIES" if ties else ""
            tags = "ties" if ties else ""
            case(f"{kind}_pool_forward{t} {tag}", tags)(lambda m, k=kind, i=i, xs=xs, pp=pp, ti=ties: (lambda r: r if special(r) else r[0])(call(getattr(m, f"{k}_pool_forward"), pool_x(i, xs, ti), pp)))
            d = lambda i=i, xs=xs, pp=pp: rng(400 + i).normal(size=(xs[0], xs[1], (xs[2] - pp["pool_height"]) // pp["stride"] + 1, (xs[3] - pp["pool_width"]) // pp["stride"] + 1))
            case(f"{kind}_pool_backward{t} {tag}", tags)(lambda m, k=kind, i=i, xs=xs, pp=pp, ti=ties, d=d: call(getattr(m, f"{k}_pool_backward"), d(), (pool_x(i, xs, ti), pp)))
            case(f"{kind}_pool_forward_fast{t} {tag}", tags + " fast")(lambda m, k=kind, i=i, xs=xs, pp=pp, ti=ties: (lambda r: r if special(r) else r[0])(call(getattr(m.fast, f"{k}_pool_forward_fast"), pool_x(i, xs, ti), pp)))
            case(f"{kind}_pool_backward_fast{t} {tag}", tags + " fast")(lambda m, k=kind, i=i, xs=xs, pp=pp, ti=ties, d=d: (lambda x: call(getattr(m.fast, f"{k}_pool_backward_fast"), d(), getattr(m.fast, f"{k}_pool_forward_fast")(x, pp)[1]))(pool_x(i, xs, ti)))
for i in (0, 1, 3):
    xs, ph, pw, s = POOL[i]
    pp = {"pool_height": ph, "pool_width": pw, "stride": s}
    for kind in ("max", "avg"):
        case(f"{kind}_pool_forward INT x{xs} {ph}x{pw} s={s}", "int")(lambda m, k=kind, i=i, xs=xs, pp=pp: (lambda r: r if special(r) else r[0])(call(getattr(m, f"{k}_pool_forward"), rng(i).integers(-9, 9, size=xs), pp)))
        case(f"{kind}_pool_cache x{xs}")(lambda m, k=kind, xs=xs, pp=pp: (lambda x: (lambda c: isinstance(c, tuple) and len(c) == 2 and c[0] is x and c[1] is pp)(getattr(m, f"{k}_pool_forward")(x, pp)[1]))(np.ones(xs)))
for name, (xs, ph, pw, s) in {"no tile": ((1, 1, 5, 5), 2, 2, 2), "no tile W": ((1, 1, 4, 5), 2, 2, 2),
                              "window too big": ((1, 1, 3, 3), 4, 4, 1)}.items():
    for kind in ("max", "avg"):
        pp = {"pool_height": ph, "pool_width": pw, "stride": s}
        case(f"{kind}_pool_forward ERR {name}", "error")(lambda m, k=kind, xs=xs, pp=pp: call(getattr(m, f"{k}_pool_forward"), np.ones(xs), pp))
        case(f"{kind}_pool_forward_fast ERR {name}", "error fast")(lambda m, k=kind, xs=xs, pp=pp: call(getattr(m.fast, f"{k}_pool_forward_fast"), np.ones(xs), pp))


# ---------------------------------------------------------------- comparison
def _same(a, b, exact=False):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return np.array_equal(a, b) if exact else np.allclose(a, b, rtol=1e-7, atol=1e-9)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y, exact) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], exact) for k in a)
    if isinstance(a, str) and isinstance(b, str):
        return True if not exact else a == b   # exception messages: not compared
    return type(a) is type(b) and a == b


def run(m):
    out = {}
    for name, tags, fn in CASES:
        try:
            out[name] = fn(m)
        except Exception as e:  # noqa
            out[name] = ("CRASH", type(e).__name__)
    return out


def styles():
    import yaml
    p = ROOT / "bugs.yaml"
    return {e["id"]: e["style"] for e in yaml.safe_load(p.read_text())} if p.exists() else {}


def main(dirs):
    from types import SimpleNamespace
    r = load(REF_DIR)
    # the reference for the fast functions is the loops version's LOOP functions
    r.fast = SimpleNamespace(**{f"{k}_fast": getattr(r, k) for k in (
        "conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward")})
    ref = run(r)
    crashes = [n for n in ref if isinstance(ref[n], tuple) and ref[n] and isinstance(ref[n][0], str) and ref[n][0] == "CRASH"]
    if crashes:
        print("WARNING: reference crashes (harness bug):", crashes[:5])
    style_of, style_ref = styles(), {}
    for d in dirs:
        d = pathlib.Path(d)
        label = f"{d.parent.parent.name}/{d.parent.name}"
        try:
            m = load(d)
        except Exception:
            print(f"{label}: IMPORT FAILED\n{traceback.format_exc()}")
            continue
        got = run(m)
        base, against = ref, "loops"
        bug_id = d.parent.name
        if d.parent.parent.name == "bugs" and style_of.get(bug_id, "loops") != "loops":
            st = style_of[bug_id]
            if st not in style_ref:
                style_ref[st] = run(load(ROOT / "correct" / st / "convnet"))
            base, against = style_ref[st], st
        diff = [(n, t) for n, t, _ in CASES if not _same(base[n], got[n])]
        real = [n for n, t in diff if "ties" not in t]
        ties = [n for n, t in diff if "ties" in t]
        status = "SAME AS REFERENCE" if not diff else f"{len(real)} differ (+{len(ties)} tie-only)"
        print(f"{label} [vs {against}]: {status}")
        for n in real[:int(__import__('os').environ.get('SHOW', 6))]:
            print(f"    {n}")
        if ties and (not real or __import__('os').environ.get('TIES')):
            print(f"    ties only: {ties}")


def written():
    """Every correct implementation and every bug of bugs.yaml (its edits on its style's
    correct package, as the bench writes it), in a temporary ``{correct,bugs}/<name>/convnet``."""
    import tempfile
    sys.path.insert(0, str(ROOT.parents[1]))
    from tests.bench_feedback import external
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="unseen-bugs-"))
    out = []
    for kind, name, write in external(ROOT, "all"):
        folder = tmp / ("bugs" if kind == "unseen" else "correct") / name
        write(folder)
        out.append(folder / "convnet")
    return out


if __name__ == "__main__":
    main(sys.argv[1:] or written())

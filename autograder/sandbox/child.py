"""The untrusted side: imports the student's package and runs the calls it is sent.

Run as ``python -I child.py <fd_in> <fd_out> <package_dir> <package> <exports.json> [<shared_dir>]``
(by :mod:`autograder.sandbox.proxy`, as the sandbox user, under resource limits).
Everything the student prints through Python is captured per call and sent back with
the reply; output written straight to file descriptors 1 and 2 is discarded.

Only the standard library, numpy (when installed: an assignment without it has none),
``protocol.py``, ``seccomp.py`` and ``landlock.py`` (copied beside this file) are used: the framework
itself is not readable from here.
"""

import builtins
import importlib
import itertools
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import landlock  # noqa: E402
import seccomp  # noqa: E402


def first_for_the_oom_killer():
    """Mark this process (and all it starts, which inherit it) as the kernel's first
    choice when memory runs out: without a cgroup of the sandbox's own (Gradescope's
    container), many processes each under the per-process limit can fill the
    container, and the kernel would otherwise kill its largest process, the grader.
    Raising it needs no privilege; lowering it back does (CAP_SYS_RESOURCE, which
    Docker does not give), except down to the value a privileged process set: the
    student's process could lower it to 0, so the Landlock ruleset below, which leaves
    /proc read-only, is what keeps it. Returns the value now in force (None: unknown)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        with open("/proc/self/oom_score_adj") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


# Before anything else is imported (one thread, nothing of the student's loaded yet):
# every process the student's code starts inherits the filter and no_new_privs.
OOM_SCORE_ADJ = first_for_the_oom_killer()
CONFINEMENT = seccomp.install()
CONFINEMENT["oom_first"] = OOM_SCORE_ADJ == 1000
CONFINEMENT.update(landlock.restrict(
    read_only=[sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
               os.path.dirname(os.path.realpath(sys.executable)), os.path.dirname(os.path.abspath(__file__)),
               sys.argv[3] if len(sys.argv) > 3 else "/nonexistent",
               sys.argv[6] if len(sys.argv) > 6 else "/nonexistent"],  # the graders' shared files
    writable=[os.environ.get("HOME", "/nonexistent")],
))

try:
    import numpy as np  # noqa: E402
except ImportError:  # an assignment whose code does not use numpy
    np = None  # type: ignore[assignment]  # numpy or None: every use checks which
import protocol  # noqa: E402

# Taken before any student code runs: it shares numpy and could rebind the attribute
# (what this process says of itself costs the student points only, never earns trust).
_may_share_memory = np.may_share_memory if np is not None else None

KEEP_CHARS = 20_000  # per call; the trusted side cuts again
METHOD = object()  # a call of a method of an object kept here (see bound_method)


def bound_method(header, resolve):
    """The public method ``header["method"]`` of the object behind ``header["handle"]``
    (an instance the student's code created, e.g. by calling a graded class)."""
    method = header.get("method")
    if not isinstance(method, str) or not method.isidentifier() or method.startswith("_"):
        raise AttributeError(f"no public method {method!r}")
    found = getattr(resolve(header.get("handle")), method)
    if not callable(found):
        raise AttributeError(f"{method} is not a method")
    return found


class Capture:
    """A text stream that keeps the first KEEP_CHARS characters and counts the rest."""

    def __init__(self):
        self.parts, self.kept, self.dropped = [], 0, 0

    def write(self, text):
        text = str(text)
        room = KEEP_CHARS - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def take(self):
        text, dropped = "".join(self.parts), self.dropped
        self.parts, self.kept, self.dropped = [], 0, 0
        return text, dropped


def student_traceback(exc, package_dir):
    """The frames of the traceback that are in the student's files, as text."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(package_dir)]
    lines = []
    for f in frames[-4:]:
        name = os.path.relpath(f.filename, package_dir)
        lines.append(f'  File "{name}", line {f.lineno}, in {f.name}' + (f"\n    {f.line}" if f.line else ""))
    if isinstance(exc, SyntaxError) and exc.filename:
        where = os.path.relpath(exc.filename, package_dir)
        lines.append(f'  File "{where}", line {exc.lineno}\n    {(exc.text or "").strip()}')
    return "\n".join(lines)


def array_leaves(value, path=(), kept=frozenset(), seen=None):
    """(path, array) for every numpy array in nested lists, tuples and dicts, but not
    inside the objects whose ids are in ``kept`` (what handles named: the student's own
    objects, a cache, which its code may change as it likes and which are not copied).
    Each container once and no deeper than the protocol goes: a student's result may
    hold itself."""
    seen = set() if seen is None else seen
    if id(value) in kept:
        return
    if np is not None and isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, (list, tuple, dict)) and len(path) <= protocol.MAX_DEPTH and id(value) not in seen:
        seen.add(id(value))
        for k, v in (value.items() if isinstance(value, dict) else enumerate(value)):
            yield from array_leaves(v, path + (k,), kept, seen)


def aliased_paths(saved, result):
    """The paths of the saved arguments (``(path, array, copy)``) that an array of the
    student's ``result`` shares memory with; none where the result cannot be walked."""
    try:
        returned = list(itertools.islice((arr for _, arr in array_leaves(result)), 64))
        return [list(path) for path, arr, _ in saved if any(_may_share_memory(r, arr) for r in returned)]
    except Exception:  # a result's own code (a dict's items) failed: it is not this check's to say
        return []


def unchanged(arr, old):
    """Whether ``arr`` still holds what its copy ``old`` holds: the same shape, dtype and
    bytes, compared by numpy's array type and Python's own (C code): no function of
    numpy's Python layer (``np.array_equal``, ``ndarray.all``'s helpers), which the
    student's code shares and could replace, takes part. (Code that rewrites this
    process's own functions can still hide a change: what the student's process says of
    itself costs it points only, never earns the grader's trust.)"""
    if arr.shape != old.shape or arr.dtype != old.dtype:
        return False
    try:
        return memoryview(arr).cast("B") == memoryview(old).cast("B")  # no copy
    except (TypeError, ValueError, BufferError):  # not contiguous, or no buffer format
        return arr.tobytes() == old.tobytes()


# Python's own classes, taken before any student code runs (it could rebind builtins.ValueError).
_BUILTIN_CLASSES = {name: obj for name, obj in vars(builtins).items() if isinstance(obj, type)}


def is_builtin(cls):
    """Whether ``cls`` is Python's own class of that name: a student's class may claim
    ``__module__ = "builtins"`` (``class SystemExit(ValueError)``), so the module alone
    says nothing."""
    try:
        return _BUILTIN_CLASSES.get(cls.__name__) is cls
    except Exception:  # a hostile metaclass
        return False


def class_key(cls):
    """A class's name for the wire: a builtin's own name, else ``module:qualname``."""
    return cls.__name__ if is_builtin(cls) else f"{getattr(cls, '__module__', None)}:{cls.__qualname__}"


def class_chain(cls):
    """``cls`` and the rest of its MRO outside builtins, as plain data (names, never
    code): ``[{"key", "name", "module", "bases": [keys of its direct bases]}]``. The
    trusted side builds classes of the same names and hierarchy from it."""
    chain = []
    try:
        for c in cls.__mro__:
            if is_builtin(c):
                continue
            bases = [str(class_key(b))[:300] for b in c.__bases__][:8]
            chain.append({"key": str(class_key(c))[:300], "name": str(c.__name__)[:100],
                          "module": str(c.__module__)[:200], "bases": bases})
            if len(chain) >= 16:
                break
    except Exception:  # a hostile metaclass: the builtin bases still say what it is
        return []
    return chain


def exported_types(modules, exports):
    """``{name: class_chain}`` of every graded name that is an exception class."""
    found = {}
    for name, module in exports.items():
        try:
            obj = getattr(modules.get(module), name, None)
            if isinstance(obj, type) and issubclass(obj, BaseException):
                found[name] = class_chain(obj)
        except Exception:
            continue
    return found


def describe_error(exc, package_dir):
    bases = [c.__name__ for c in type(exc).__mro__ if is_builtin(c)]
    try:
        message = str(exc)[:2000]
    except BaseException:  # a hostile __str__
        message = "(the exception's message could not be read)"
    return {"type": type(exc).__name__[:100], "bases": bases, "message": message,
            "traceback": student_traceback(exc, package_dir)[:4000], "classes": class_chain(type(exc))}


def _writable(folder):
    probe = os.path.join(folder, ".hello")
    try:
        open(probe, "w").close()
        os.remove(probe)
        return True
    except OSError:
        return False


def main():
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    package_dir, package = sys.argv[3], sys.argv[4]
    with open(sys.argv[5], encoding="utf-8") as f:
        exports = json.load(f)  # {"function": "module"}
    out_stream = os.fdopen(fd_out, "wb", buffering=0)
    in_stream = os.fdopen(fd_in, "rb", buffering=0)

    def read_exact(n):
        data = bytearray()
        while len(data) < n:
            chunk = in_stream.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return bytes(data)

    def send(header, blobs=()):
        protocol.write_frame(out_stream.write, header, blobs)

    # Before anything of the student's runs: this view works (the interpreter started
    # in it, numpy imported, the confinement set up). The trusted side commits to it on
    # this word (a start that ends before it falls back to a weaker isolation), and
    # reads descriptor 2 only until then: from here on, output written straight to
    # descriptors 1 and 2 is discarded (1 is /dev/null already).
    # What confines this process is said here too: once the student's modules are
    # loaded, nothing this process says about itself can be trusted.
    send({"kind": "hello", "proc": os.path.isdir("/proc/self"), "scratch": _writable(os.environ.get("HOME", "")),
          "confinement": CONFINEMENT})
    os.dup2(1, 2)
    capture = Capture()
    sys.stdout = sys.stderr = capture
    sys.path.insert(0, package_dir)
    sys.dont_write_bytecode = True

    modules, import_errors = {}, {}
    started = time.process_time()  # "cpu" in a reply: this process's CPU seconds in the student's code
    for module in sorted(set(exports.values())):
        try:
            modules[module] = importlib.import_module(f"{package}.{module}")
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included
            import_errors[module] = describe_error(exc, package_dir)
    types = exported_types(modules, exports)
    text, dropped = capture.take()
    send({"kind": "ready", "import_errors": import_errors, "types": types, "stdout": text,
          "dropped": dropped, "cpu": time.process_time() - started})

    handles, next_handle = {}, [0]

    def keep(obj):
        next_handle[0] += 1
        handles[next_handle[0]] = obj
        return protocol.Handle(next_handle[0], type(obj).__name__)

    def resolve(handle_id):
        if handle_id not in handles:
            raise protocol.ProtocolError("unknown handle")
        return handles[handle_id]

    def plain(value, blobs, kept=()):
        """Encode a result; elements of a returned tuple that are not plain data
        (a student's cache object, say), and those at the positions ``kept`` (what the
        trusted side asked to leave here), stay here behind handles."""
        if not (kept and isinstance(value, tuple)):
            try:
                return protocol.encode(value, blobs)
            except protocol.NotPlain:
                pass
        if isinstance(value, tuple):
            out = []
            for i, v in enumerate(value):
                if i in kept:
                    out.append(protocol.encode(keep(v), blobs))
                    continue
                mark = len(blobs)
                try:
                    out.append(protocol.encode(v, blobs))
                except protocol.NotPlain:
                    del blobs[mark:]
                    out.append(protocol.encode(keep(v), blobs))
            return {"__tuple__": out}
        return protocol.encode(keep(value), blobs)

    named = set()  # ids of the objects the handles of the current call's arguments named

    def resolving(handle_id):
        found = resolve(handle_id)
        named.add(id(found))
        return found

    while True:
        try:
            header, blobs = protocol.read_frame(read_exact, 1 << 40)
        except EOFError:
            return
        released = header.get("release")
        for handle_id in released if isinstance(released, list) else ():
            if type(handle_id) is int:
                handles.pop(handle_id, None)  # the trusted side is done with it: its memory goes back
        name = header.get("function")
        changed = []  # (path, array) of arguments changed in place by this call
        try:
            named.clear()
            args = protocol.decode(header.get("args", []), blobs, resolving)
            kwargs = protocol.decode(header.get("kwargs", {"__dict__": []}), blobs, resolving)
            module = exports.get(name) if "method" not in header else METHOD
            if module is None:
                raise AttributeError(f"no function {name!r} is graded")
            if module in import_errors:
                reply = {"kind": "module_error", "module": module, **import_errors[module]}
                send({**reply, "stdout": "", "dropped": 0})
                continue
            fn = getattr(modules[module], name, None) if module is not METHOD else bound_method(header, resolve)
            if not callable(fn):
                send({"kind": "missing", "module": module, "stdout": "", "dropped": 0})
                continue
            # The in-place check copies every argument first: not in a timed call (the
            # framework's work, in the student's time; only a contract test reads it).
            saved = [] if header.get("timed") is True else [
                (path, arr, arr.copy()) for path, arr in array_leaves([args, kwargs], kept=frozenset(named))]
            started = time.process_time()
            try:
                result = fn(*args, **kwargs)
            finally:
                cpu = time.process_time() - started
                # Which arguments the student changed in place (their paths only: the
                # grader's own arrays never change; a contract test reports it).
                changed = [(path, arr) for path, arr, old in saved if not unchanged(arr, old)]
            # Which arguments the result shares memory with (returned as they are, or a
            # view of them): a check of a function that promises a new array reads it.
            aliased = aliased_paths(saved, result) if saved else []
            out_blobs: list[bytes] = []
            kept = header.get("keep") if isinstance(header.get("keep"), list) else []
            value = plain(result, out_blobs, frozenset(i for i in kept if type(i) is int))
            mutated = [list(path) for path, _ in changed]
            text, dropped = capture.take()
            send({"kind": "result", "value": value, "mutated": mutated, "aliased": aliased, "stdout": text,
                  "dropped": dropped, "cpu": cpu}, out_blobs)
        except BaseException as exc:  # the student's error, whatever it is, is a reply
            text, dropped = capture.take()
            mutated = [list(path) for path, _ in changed]
            send({"kind": "error", **describe_error(exc, package_dir), "mutated": mutated, "stdout": text,
                  "dropped": dropped, "cpu": cpu})


if __name__ == "__main__":
    main()

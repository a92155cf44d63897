"""A private view of the system for the student's process, where the kernel allows it.

The student's process always runs under resource limits, and as a dedicated
unprivileged user when we are root (:mod:`.limits`). On top of that, when the machine
allows it, it gets its own namespaces:

- a private file system: the system folders, the interpreter and its venv, the child's
  own files and the copy of the submission, all read-only, and one small writable
  tmpfs (its home, cwd and TMPDIR); nothing else of the host exists for it (no project
  checkout, no home folders, no other submissions, no grader source, no results);
- no network (a fresh network namespace with nothing in it);
- no other processes (a PID namespace whose end kills whatever the student started).

Three ways to get there, tried in this order:

- as root: ``unshare`` (util-linux) + :mod:`launcher`, which builds the view, drops
  every capability and switches to the sandbox user;
- as an ordinary user: ``bwrap`` (bubblewrap), then ``unshare --user --map-root-user``
  + :mod:`launcher` (unprivileged user namespaces);
- otherwise nothing more than the user and the limits.

:func:`candidates` builds them, strongest first; none is trusted until the student's
process itself has started inside it: the supervisor's first start is the check (the
child says ``hello`` before it loads anything of the student's, see
:mod:`autograder.sandbox.child`), and a start that ends before that falls back to the
next one. Nothing here fails the grading: a missing tool or a refused namespace only
means fewer protections, and :meth:`Isolation.describe` says which ones are active (the
runner records it in results.json's ``extra_data`` and in its log).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
NAMESPACES = ("--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child")
INSPECT_SECONDS = 20.0  # another interpreter asked where it lives
BWRAP_HELPERS = 3  # processes bubblewrap itself keeps inside the namespace


@dataclasses.dataclass(frozen=True)
class View:
    """What the student's process may see besides the system folders."""

    read_only: tuple[tuple[str, str], ...]  # (path on the host, path the student sees)
    scratch: tuple[str, str]  # the writable folder: (host path used without isolation, path inside)
    scratch_mb: int  # size of the writable tmpfs inside the view
    workdir: Path  # an empty folder of the trusted side's for the plan and the new root
    launcher: str = ""  # where a copy of launcher.py is inside the view (its second stage), if anywhere


@dataclasses.dataclass(frozen=True)
class Isolation:
    """How the student's process is started. ``prefix`` goes before its command line;
    when ``drops_privileges``, the prefix switches user and applies the limits itself
    (the caller must start it as root, without them)."""

    mechanism: str  # "none", "unshare", "unshare --user" or "bubblewrap"
    prefix: tuple[str, ...] = ()
    drops_privileges: bool = False
    paths: tuple[tuple[str, str], ...] = ()  # host -> inside, for the child's command line
    proc: bool = False  # /proc of its own inside the view
    note: str = ""  # why a stronger mechanism was not used
    limits: tuple[tuple[str, int, int], ...] = ()  # for the caller to apply when not drops_privileges
    args_file: str = ""  # bubblewrap: its options, read from this file (see opened_command)

    @property
    def active(self) -> bool:
        return self.mechanism != "none"

    def path(self, host_path: os.PathLike | str) -> str:
        """``host_path`` as the student's process sees it."""
        text = str(host_path)
        for host, inside in self.paths:
            if text == host or text.startswith(host.rstrip("/") + "/"):
                return inside + text[len(host):]
        return text

    def command(self, argv: list[str]) -> list[str]:
        return [*self.prefix, *argv]

    @contextlib.contextmanager
    def opened_command(self, argv: list[str]) -> Iterator[tuple[list[str], tuple[int, ...]]]:
        """``(command line, file descriptors to pass)`` for ``argv``. bubblewrap reads its
        options from a descriptor (``--args``): it stays PID 1 of the student's
        namespace, where every process can read its command line, which then names no
        path of the grader's."""
        if not self.args_file:
            yield self.command(argv), ()
            return
        fd = os.open(self.args_file, os.O_RDONLY)
        try:
            yield [self.prefix[0], "--args", str(fd), *argv], (fd,)
        finally:
            os.close(fd)

    def exit_status(self, returncode: int | None) -> int | None:
        """The student's process's status in ``Popen.returncode`` terms: the wrappers
        report "killed by signal N" as exit code 128 + N."""
        if self.active and returncode is not None and 128 < returncode < 128 + 65:
            return -(returncode - 128)
        return returncode

    def describe(self) -> dict:
        """Which protections are active (plain data, the same on every run)."""
        return {
            "isolation": self.mechanism,
            "private_filesystem": self.active,
            "network_namespace": self.active,
            "pid_namespace": self.active,
            "private_proc": self.active and self.proc,
            **({"isolation_note": self.note} if self.note else {}),
        }


NONE = Isolation("none")


def candidates(view: View, python: str, env: dict[str, str], *, uid: int | None, gid: int | None,
               limits: list[tuple[str, int, int]], enabled: bool = True,
               mechanisms: tuple[str, ...] | None = None) -> tuple[list[Isolation], list[str]]:
    """``(isolations to try, strongest first; why the others were left out)``. None of
    them is checked yet: the supervisor starts the student's process in each in turn
    until one says ``hello``, and falls back to :data:`NONE` (whose note then lists
    the reasons). ``uid``/``gid``: the sandbox user (as root), or None (an ordinary
    user). ``limits``: ``(RLIMIT_NAME, soft, hard)`` for the student's process, applied
    inside the view by the mechanisms that drop privileges themselves. ``mechanisms``:
    try only these (tests use it to reach each one). Never raises."""
    if not enabled or sys.platform != "linux":
        return [], []
    try:
        return _candidates(view, python, env, uid=uid, gid=gid, limits=limits, mechanisms=mechanisms)
    except Exception as err:  # a protection that cannot be set up must never stop grading
        return [], [f"{type(err).__name__}: {err}"]


def _candidates(view, python, env, *, uid, gid, limits, mechanisms) -> tuple[list[Isolation], list[str]]:
    try:
        extra = _interpreter_paths(python, env)
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        return [], [f"could not inspect the interpreter: {err}"]
    names = ["unshare"] if os.geteuid() == 0 else ["bubblewrap", "unshare --user"]
    if mechanisms is not None:
        names = [m for m in names if m in mechanisms]
    found, notes = [], []
    for mechanism in names:
        try:
            iso = _build(mechanism, view, extra, uid=uid, gid=gid, limits=limits)
        except (OSError, ValueError) as err:
            notes.append(f"{mechanism}: {err}")
            continue
        if iso is None:
            notes.append(f"{mechanism}: not installed")
        else:
            found.append(iso)
    return found, notes


def fallen_back(notes: list[str]) -> Isolation:
    """:data:`NONE`, saying why each stronger isolation is not used."""
    return dataclasses.replace(NONE, note="; ".join(notes)[:500])


def _interpreter_paths(python: str, env: dict[str, str]) -> list[str]:
    """Folders the interpreter needs beyond the system ones: its prefixes (a venv, a
    Python installed under /opt or a home folder) and where its executable really is."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):  # ours (the usual case): no process to start
        found = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                 os.path.dirname(os.path.realpath(sys.executable))]
    else:
        code = ("import json, os, sys; print(json.dumps([sys.prefix, sys.exec_prefix, sys.base_prefix, "
                "sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]))")
        done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, env=env,
                              timeout=INSPECT_SECONDS, check=True)
        found = json.loads(done.stdout)
    paths = [os.path.realpath(p) for p in found]
    paths.append(os.path.dirname(os.path.abspath(python)))
    paths.append(os.path.dirname(os.path.dirname(os.path.abspath(python))))  # a venv: bin/..
    return paths


def _mounts(view: View, extra: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(read-only binds, symbolic links) for the new root, outermost first, none inside another."""
    binds: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            binds.append((path, path))
    system = [b[1] for b in binds] + [link[0] for link in links]
    for path in sorted(set(extra)):
        if path in ("/", "") or not os.path.isdir(path) or _under(path, system):
            continue
        if any(_under(path, [b[1]]) for b in binds):
            continue
        binds = [b for b in binds if not _under(b[1], [path])] + [(path, path)]
    binds += list(view.read_only)
    return binds, links


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _build(mechanism: str, view: View, extra: list[str], *, uid, gid, limits) -> Isolation | None:
    binds, links = _mounts(view, extra)
    scratch_host, scratch_inside = view.scratch
    paths = tuple((host, inside) for host, inside in view.read_only) + ((scratch_host, scratch_inside),)
    if mechanism == "bubblewrap":
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return None
        prefix = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox",
                  "--cap-drop", "ALL"]
        for host, inside in binds:
            prefix += ["--ro-bind", host, inside]
        for path, target in links:
            prefix += ["--symlink", target, path]
        prefix += ["--dev", "/dev", "--proc", "/proc", "--size", str(view.scratch_mb * 2**20), "--tmpfs",
                   scratch_inside, "--remount-ro", "/", "--chdir", scratch_inside, "--"]
        # bubblewrap runs under the limits itself; its helpers count as processes of ours
        own = tuple((n, s + BWRAP_HELPERS, h + BWRAP_HELPERS) if n == "RLIMIT_NPROC" else (n, s, h)
                    for n, s, h in limits)
        args_file = view.workdir / "bwrap-args"
        args_file.write_bytes(b"".join(os.fsencode(a) + b"\0" for a in prefix[1:-1]))
        return Isolation("bubblewrap", tuple(prefix), False, paths, proc=True, limits=own, args_file=str(args_file))
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    new_root = view.workdir / "root"
    new_root.mkdir(exist_ok=True)
    plan = {
        "root": str(new_root),
        "uid": uid, "gid": gid,
        "mounts": [{"kind": "ro", "source": h, "target": i} for h, i in binds]
        + [{"kind": "symlink", "target": p, "link": t} for p, t in links]
        + [{"kind": "tmpfs", "target": scratch_inside, "size_mb": view.scratch_mb}],
        "limits": [list(limit) for limit in limits],
        "cwd": scratch_inside,
        "reexec": view.launcher,
    }
    plan_path = view.workdir / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1))
    os.chmod(plan_path, 0o600)
    user = ["--user", "--map-root-user"] if mechanism == "unshare --user" else []
    launcher = [sys.executable, "-I", "-S", str(HERE / "launcher.py"), str(plan_path), "--"]
    return Isolation(mechanism, (unshare, *user, *NAMESPACES, "--", *launcher), True, paths)

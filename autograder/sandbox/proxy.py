"""The trusted side of the sandbox: a :class:`Sandbox` that runs the student's package
in a child process, and a :class:`StudentProxy` that graders call like the package.

Every failure of the student's process (crash, timeout, memory, exit, import error)
becomes an exception whose ``grading_message`` says what happened in plain words;
the child is restarted for the next call. Nothing the child sends is trusted: frames
are size-checked and decoded as plain data only.
"""

from __future__ import annotations

import builtins
import ctypes
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


from autograder.runtime.text import printable
from autograder.sandbox import cgroup, isolation, protocol
from autograder.sandbox.limits import Identity, kill_user_processes, make_preexec, make_preexec_from, rlimits

HERE = Path(__file__).resolve().parent
MAX_REPLY_BYTES = 256 * 2**20
MAX_REPLY_DECODED = MAX_REPLY_BYTES  # bytes of values decoded from one reply (arrays, text)
MAX_RUN_DECODED = 2 * 2**30  # the same over every reply of the run
PIPE_BYTES = 2**20  # the pipes' buffer size asked for (see _widen_pipe)
OOM_POLL_SECONDS = 0.1  # while waiting for a reply: did the group run out of memory, or the disk fill?
SCRATCH_ENTRIES = 20_000  # files and folders measured in the scratch folder at the most
MAX_RESTARTS = 100  # a guard on the total: each function has its own caps below
MAX_TIMEOUTS_PER_FUNCTION = 3  # then the function's remaining calls fail at once
MAX_DEATHS_PER_FUNCTION = 3  # calls that killed the process (exit, crash, limit): the same


class SandboxError(Exception):
    """The student's process could not answer (crash, timeout, import error...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.grading_message = message


class StudentError(Exception):
    """The student's code raised; subclasses also derive from the matching builtin
    exception so that ``pytest.raises(ValueError)`` works across the boundary."""

    grading_message = ""
    remote_type = ""


_ERROR_CLASSES: dict[str, type] = {}


def _student_error_class(bases: list[str]) -> type:
    for name in bases:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception) and builtin is not Exception:
            if name not in _ERROR_CLASSES:
                _ERROR_CLASSES[name] = type(f"Student{name}", (StudentError, builtin), {})
            return _ERROR_CLASSES[name]
    return StudentError


class RemoteHandle(protocol.Handle):
    """A handle valid only for the child process that created it."""

    __slots__ = ("generation",)

    def __init__(self, id: int, generation: int, type_name: str = ""):
        super().__init__(id, type_name)
        self.generation = generation


@dataclasses.dataclass(frozen=True)
class SandboxSpec:
    python: str  # interpreter the child runs (must be usable by ``identity``)
    package: str  # package name, e.g. "convnet"
    package_parent: Path  # folder holding the package folder (a copy of the submission)
    exports: dict[str, str]  # graded function -> module of the package defining it
    run_dir: Path  # private working area of this grading run (root-owned when root)
    identity: Identity
    call_timeout: float = 5.0
    import_timeout: float = 10.0
    memory_mb: int = 512
    cpu_seconds: int = 60
    max_processes: int = 32
    max_file_mb: int = 16
    output_chars: int = 2000
    isolate: bool = True  # use namespaces where the machine allows it (see isolation.py)
    mechanisms: tuple[str, ...] | None = None  # restrict isolation.select to these (tests)
    packages: tuple[str, ...] = ()  # what the student's code may import besides the standard library


class Sandbox:
    """One student process at a time, restarted after it dies."""

    def __init__(self, spec: SandboxSpec, deadline: float | None = None, unavailable: dict[str, str] | None = None):
        self.spec = spec
        self.unavailable = dict(unavailable or {})  # module -> why it cannot be called (missing file)
        self.deadline = deadline  # time.monotonic() after which no call is made
        self.generation = 0
        self.import_errors: dict[str, dict] = {}
        self._proc: subprocess.Popen | None = None
        self._to_child = self._from_child = -1
        self._broken: str | None = None  # set when restarting cannot help
        self._output: list[str] = []
        self._timeouts: dict[str, int] = {}
        self._deaths: dict[str, int] = {}
        self.student_seconds = 0.0  # wall time spent waiting for the student's process
        self.trusted_cpu = 0.0  # this process's CPU seconds in starts and calls (encoding, decoding, checks)
        self.reported_cpu = 0.0  # CPU seconds in the student's code, as its process says (figures only)
        self.confinement: dict[str, Any] = {}  # what the child could set up on itself (seccomp.install)
        self.last_changed: tuple[tuple, ...] = ()  # arguments the last call changed in place (paths)
        self.decoded = protocol.run_budget(MAX_RUN_DECODED)  # kept across restarts
        self.cgroup: cgroup.Group | None = None
        self.cgroup_note = "not the dedicated sandbox user: no group of our own"
        if spec.identity.dedicated:
            # The wrappers of a namespace (unshare and the launcher, or bubblewrap's helpers) are in it too.
            self.cgroup, self.cgroup_note = cgroup.create(spec.memory_mb, spec.max_processes + 4)
        self._oom_kills = 0
        self._prepare()
        _become_subreaper()

    # -- lifecycle ---------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        self.child_dir = spec.run_dir / "child"
        self.scratch = spec.run_dir / "scratch"
        self.scratch_mb = 4 * spec.max_file_mb
        self.child_dir.mkdir(parents=True, exist_ok=True)
        for name in ("child.py", "protocol.py", "seccomp.py", "landlock.py", "launcher.py"):
            shutil.copyfile(HERE / name, self.child_dir / name)
        (self.child_dir / "exports.json").write_text(json.dumps(spec.exports, sort_keys=True))
        self.scratch.mkdir(exist_ok=True)
        if spec.identity.dedicated:
            os.chown(self.scratch, spec.identity.uid, spec.identity.gid)
        os.chmod(self.scratch, 0o700)
        os.chmod(self.child_dir, 0o755)
        # Without namespaces, the sandbox user reaches its files through run_dir: let
        # in that user's group only, not the sandbox users of other runs.
        if spec.identity.dedicated:
            os.chown(spec.run_dir, -1, spec.identity.gid)
        os.chmod(spec.run_dir, 0o750 if spec.identity.dedicated else 0o700)
        for path in self.child_dir.iterdir():
            os.chmod(path, 0o644)
        workdir = spec.run_dir / "isolation"  # the launcher's plan and mount point: ours only
        workdir.mkdir(mode=0o700, exist_ok=True)
        view = isolation.View(
            read_only=((str(self.child_dir), "/sandbox/child"), (str(spec.package_parent), "/sandbox/submission")),
            scratch=(str(self.scratch), "/sandbox/scratch"), scratch_mb=self.scratch_mb, workdir=workdir,
            launcher="/sandbox/child/launcher.py",
        )
        ident = spec.identity
        self.isolation = isolation.select(
            view, spec.python, self._env(isolation.NONE), uid=ident.uid, gid=ident.gid, enabled=spec.isolate,
            mechanisms=spec.mechanisms,
            limits=rlimits(spec.memory_mb, spec.cpu_seconds, spec.max_processes, spec.max_file_mb),
        )

    def _env(self, iso: isolation.Isolation) -> dict[str, str]:
        """The student's whole environment: nothing of ours (no secrets, no paths)."""
        home = iso.path(self.scratch)
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": home,
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }

    def protections(self) -> dict[str, Any]:
        """What protects the grader from the student's process (plain data, stable)."""
        ident = self.spec.identity
        own, isolated = self.confinement, self.isolation.describe()
        return {
            "unprivileged_user": ident.dedicated,
            "resource_limits": True,
            **isolated,
            "no_new_privs": bool(own.get("no_new_privs")),
            "seccomp_filter": bool(own.get("seccomp")),
            "no_network": bool(isolated["network_namespace"] or own.get("seccomp")),
            **(self.cgroup.describe() if self.cgroup else {"whole_sandbox_limits": False,
                                                           "cgroup_note": self.cgroup_note}),
            "landlock": bool(own.get("landlock")),
            "filesystem_confined": bool(isolated["private_filesystem"] or own.get("landlock")),
            **({"seccomp_note": str(own["note"])[:200]} if own.get("note") else {}),
            **({"landlock_note": str(own["landlock_note"])[:200]} if own.get("landlock_note") else {}),
        }

    def start(self) -> None:
        """Start the child and wait for its import report."""
        started, cpu = time.monotonic(), time.process_time()
        try:
            self._start()
        finally:
            self.student_seconds += time.monotonic() - started
            self.trusted_cpu += time.process_time() - cpu

    def _start(self) -> None:
        spec = self.spec
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        for fd in (down_w, up_w):
            _widen_pipe(fd)
        iso = self.isolation
        ident = spec.identity
        if iso.drops_privileges:  # the launcher switches user and applies the limits inside the view
            who: dict[str, Any] = {}
        else:
            who = {"user": ident.uid, "group": ident.gid, "extra_groups": [] if ident.dedicated else None,
                   "preexec_fn": make_preexec_from(list(iso.limits)) if iso.active else make_preexec(
                       spec.memory_mb, spec.cpu_seconds, spec.max_processes, spec.max_file_mb, ident.dedicated)}
        argv = [spec.python, "-I", iso.path(self.child_dir / "child.py"), str(down_r), str(up_w),
                iso.path(spec.package_parent), spec.package, iso.path(self.child_dir / "exports.json")]
        try:
            with iso.opened_command(argv) as (command, fds):
                self._proc = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    pass_fds=(down_r, up_w, *fds), cwd="/" if iso.active else self.scratch, env=self._env(iso),
                    start_new_session=True, **who,
                )
        finally:
            os.close(down_r)
            os.close(up_w)
        if self.cgroup is not None:
            try:
                self.cgroup.add(self._proc.pid)  # before it has loaded anything of the student's
            except OSError as err:
                self.cgroup_note = f"could not move the student's process into its group: {err}"
                self.cgroup = None
        self._to_child, self._from_child = down_w, up_r
        os.set_blocking(down_w, False)
        os.set_blocking(up_r, False)
        self.generation += 1
        try:
            header, _ = self._receive(min(spec.import_timeout, self._time_left()), "importing your code")
        except SandboxError as err:
            self._broken = f"{err.grading_message} Every test that needs your code fails until this is fixed."
            raise SandboxError(self._broken) from None
        if header.get("kind") != "ready" or not isinstance(header.get("import_errors"), dict):
            self._broken = "your code's process sent an unexpected reply while starting."
            raise SandboxError(self._broken)
        self.import_errors = header["import_errors"]
        confinement = header.get("confinement")
        self.confinement = {k: v for k, v in confinement.items() if isinstance(v, (bool, str))} \
            if isinstance(confinement, dict) else {}
        self._collect_output(header)

    def import_problems(self) -> list[str]:
        """One message per module that failed to import at the last start."""
        return [_import_message(m, e, self.spec.packages) for m, e in sorted(self.import_errors.items())
                if m not in self.unavailable]

    def stop(self) -> None:
        """Kill the child's whole process group and, for the dedicated user, every
        process it owns; reap what we can."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self._to_child, self._from_child):
            if fd >= 0:
                os.close(fd)
        self._to_child = self._from_child = -1
        self._proc = None
        if self.cgroup is not None:
            self.cgroup.kill()
        kill_user_processes(self.spec.identity)
        _reap_orphans()

    def close(self) -> None:
        """Stop the child for good and remove its group."""
        self.stop()
        if self.cgroup is not None:
            self.cgroup.remove()

    def _time_left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    # -- calls ---------------------------------------------------------------------

    def call(self, function: str, args: tuple, kwargs: dict, target: tuple[str, RemoteHandle] | None = None) -> Any:
        """Run ``function(*args, **kwargs)`` in the child and return its result; with
        ``target = (method, handle)``, run that method of the object behind the handle
        (``function`` then only names it in messages, e.g. ``"Stack.push"``)."""
        started, cpu = time.monotonic(), time.process_time()
        try:
            return self._call(function, args, kwargs, target)
        finally:
            self.student_seconds += time.monotonic() - started
            self.trusted_cpu += time.process_time() - cpu

    def _call(self, function: str, args: tuple, kwargs: dict, target: tuple[str, RemoteHandle] | None = None) -> Any:
        if self._broken:
            raise SandboxError(self._broken)
        module = self.spec.exports.get(function)
        if module in self.unavailable:
            raise SandboxError(self.unavailable[module])
        if self._timeouts.get(function, 0) >= MAX_TIMEOUTS_PER_FUNCTION:
            raise SandboxError(
                f"Not run: {function} already timed out {MAX_TIMEOUTS_PER_FUNCTION} times on small inputs "
                "(an infinite loop or a sleep?), so its remaining tests were skipped to save time."
            )
        if self._deaths.get(function, 0) >= MAX_DEATHS_PER_FUNCTION:
            raise SandboxError(
                f"Not run: {function} ended your code's process {MAX_DEATHS_PER_FUNCTION} times, so its remaining "
                "tests were skipped to save time (the other functions are still graded)."
            )
        if self._time_left() <= 0:
            raise SandboxError("Not run: grading stopped because the time budget for your submission ran out.")
        self._check_handles((args, kwargs, target[1] if target else None))
        self.last_changed = ()
        if self._proc is None:
            if self.generation > MAX_RESTARTS:
                self._broken = f"your code's process died {MAX_RESTARTS} times; the remaining calls were not made."
                raise SandboxError(self._broken)
            self.start()
        blobs: list[bytes] = []
        header = {"function": function, "args": protocol.encode(list(args), blobs),
                  "kwargs": protocol.encode(dict(kwargs), blobs),
                  **({"method": target[0], "handle": target[1].id} if target else {})}
        timeout = min(self.spec.call_timeout, self._time_left())
        deadline = time.monotonic() + timeout
        try:
            protocol.write_frame(lambda data: self._send_all(data, deadline, function), header, blobs)
            reply, reply_blobs = self._receive(deadline - time.monotonic(), f"running {function}", timeout)
        except SandboxError as err:
            counts = self._timeouts if err.grading_message.startswith("Timed out") else self._deaths
            counts[function] = counts.get(function, 0) + 1
            self.stop()
            raise
        self._collect_output(reply)
        self.last_changed = _changed_paths(reply.get("mutated"))
        return self._interpret(function, reply, reply_blobs)

    def _interpret(self, function: str, reply: dict, blobs: list[bytes]) -> Any:
        kind = reply.get("kind")
        if kind == "result":
            generation = self.generation
            try:
                return protocol.decode(reply.get("value"), blobs,
                                       lambda h: RemoteHandle(int(h), generation) if isinstance(h, int) else _bad())
            except Exception as err:  # ProtocolError, RecursionError, MemoryError...: never a grader crash
                raise self._unreadable(f"running {function}", err) from None
        if kind == "error":
            cls = _student_error_class([b for b in reply.get("bases", []) if isinstance(b, str)])
            exc = cls(printable(str(reply.get("message", ""))))
            exc.remote_type = printable(str(reply.get("type", "Exception")))[:100]
            exc.grading_message = _error_message(function, reply, self.spec)
            raise exc
        if kind == "module_error":
            raise SandboxError(_import_message(str(reply.get("module")), reply))
        if kind == "missing":
            raise SandboxError(
                f"{function} was not found in {printable(str(reply.get('module')))}.py: keep the function's name and "
                "signature exactly as in the starter code."
            )
        self.stop()
        raise SandboxError(f"your code's process sent an unexpected reply while running {function}.")

    def _check_handles(self, value: Any) -> None:
        if isinstance(value, RemoteHandle) and value.generation != self.generation:
            raise SandboxError(
                "this call needs an object (such as a cache) that your code returned earlier, but your code's "
                "process has restarted since, so it was lost."
            )
        if isinstance(value, (list, tuple)):
            for v in value:
                self._check_handles(v)
        elif isinstance(value, dict):
            for v in value.values():
                self._check_handles(v)

    # -- pipes -----------------------------------------------------------------------

    def _send_all(self, data: bytes, deadline: float, function: str) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self._to_child], [], left)[1]:
                raise SandboxError(self._death_message(f"running {function}", self.spec.call_timeout, timed_out=True))
            try:
                view = view[os.write(self._to_child, view):]
            except (BrokenPipeError, OSError):
                raise SandboxError(self._death_message(f"running {function}", 0)) from None

    def _receive(self, timeout: float, doing: str, limit: float | None = None) -> tuple[dict, list[bytes]]:
        deadline = time.monotonic() + max(timeout, 0)
        shown = limit if limit is not None else timeout

        def read_exact(n: int) -> bytes:
            chunks, got = [], 0
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SandboxError(self._death_message(doing, shown, timed_out=True))
                if not select.select([self._from_child], [], [], min(left, OOM_POLL_SECONDS))[0]:
                    if self._over_memory():  # one of its processes was killed for the group's memory
                        self.stop()
                        raise SandboxError(self._memory_message(doing))
                    if self._over_disk():
                        self.stop()
                        self._empty_scratch()
                        raise SandboxError(
                            f"Your code wrote more than {self.scratch_mb} MB of files in all while {doing} (the "
                            "limit of its folder), so it was stopped and its files were removed.")
                    continue
                chunk = os.read(self._from_child, min(n - got, 1 << 20))
                if not chunk:
                    raise SandboxError(self._death_message(doing, shown))
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)

        try:
            return protocol.read_frame(read_exact, MAX_REPLY_BYTES,
                                       protocol.reply_budget(MAX_REPLY_DECODED, parent=self.decoded))
        except SandboxError:
            raise
        except Exception as err:  # anything the student's bytes make the decoder raise
            raise self._unreadable(doing, err) from None

    def _unreadable(self, doing: str, err: Exception) -> SandboxError:
        """Stop the child (the next call restarts it: no later reply is read out of
        step) and word the failure as the student's."""
        self.stop()
        detail = printable(str(err)) if isinstance(err, protocol.ProtocolError) else type(err).__name__
        return SandboxError(f"while {doing}, your code's process sent something unreadable ({detail}).")

    def _death_message(self, doing: str, timeout: float, timed_out: bool = False) -> str:
        if timed_out:
            self.stop()
            return (f"Timed out after {timeout:g} s while {doing}: an infinite loop, a sleep, or code far too slow "
                    "for these small inputs? The process was stopped.")
        code = None
        if self._proc is not None:
            try:
                code = self.isolation.exit_status(self._proc.wait(timeout=2))
            except subprocess.TimeoutExpired:
                pass
        self.stop()
        spec = self.spec
        if code is None:
            return f"your code's process stopped answering while {doing}."
        if code < 0 and self._over_memory():
            return self._memory_message(doing)
        if code < 0:
            sig = -code
            reason = {
                signal.SIGXCPU: f"used more than its {spec.cpu_seconds} s of CPU time",
                signal.SIGXFSZ: f"wrote a file larger than {spec.max_file_mb} MB",
                signal.SIGKILL: "was killed (out of memory, or over a limit)",
                signal.SIGSEGV: f"crashed (segmentation fault; often running out of the {spec.memory_mb} MB of memory)",
            }.get(sig, f"was killed by signal {signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig}")
            return f"Your code's process {reason} while {doing}."
        if code == 0:
            return (f"Your code's process exited (exit code 0) while {doing}: do not call sys.exit() or "
                    "os._exit() in your code.")
        return (f"Your code's process stopped with exit code {code} while {doing}: sys.exit() or os._exit() "
                "with a code, or your code broke Python itself (did it replace a builtin or a library function?).")

    def _over_memory(self) -> bool:
        """Whether the kernel killed a process of the group for memory since last asked."""
        oom = self.cgroup.oom_kills() if self.cgroup is not None else 0
        over, self._oom_kills = oom > self._oom_kills, max(oom, self._oom_kills)
        return over

    def _over_disk(self) -> bool:
        """Whether the student's files pass the scratch folder's size. A private view
        gives a tmpfs of that size; without one the folder is on the machine's disk
        (the one results.json is written to), so it is measured here instead."""
        if self.isolation.active:
            return False
        used, budget = 0, SCRATCH_ENTRIES
        stack = [str(self.scratch)]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                budget -= 1
                if budget < 0:
                    return True  # a folder of countless files is over any limit
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                used += st.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
        return used > self.scratch_mb * 2**20

    def _empty_scratch(self) -> None:
        for entry in self.scratch.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def _memory_message(self, doing: str) -> str:
        return (f"Your code's processes used more than their {self.spec.memory_mb} MB of memory in all (every "
                f"process it starts counts) while {doing}, so they were stopped.")

    def _collect_output(self, reply: dict) -> None:
        cpu = reply.get("cpu")
        if isinstance(cpu, float) and 0 <= cpu < 1e6:  # untrusted: a figure for benchmarks, never a grade
            self.reported_cpu += cpu
        text = reply.get("stdout")
        if isinstance(text, str) and text:
            self._output.append(printable(text))
        dropped = reply.get("dropped")
        if isinstance(dropped, int) and dropped > 0:
            self._output.append(f"\n[... {dropped} more characters of output not shown]\n")

    def take_output(self) -> str:
        """What the student's code printed since the last call of this method, cut to
        ``output_chars``."""
        text = "".join(self._output)
        self._output = []
        limit = self.spec.output_chars
        return text if len(text) <= limit else text[:limit] + f"\n[... output cut at {limit} characters]"


class StudentProxy:
    """Looks like the student's package to the graders: ``proxy.conv_forward(...)``
    runs ``conv_forward`` in the sandbox."""

    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox

    @property
    def _last_changed(self) -> tuple[tuple, ...]:
        """What :func:`autograder.runtime.calls.changed_inputs` reads."""
        return self._sandbox.last_changed

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._sandbox.spec.exports:
            raise AttributeError(name)

        def call(*args, **kwargs):
            return _remote_object(self._sandbox, self._sandbox.call(name, args, kwargs))

        call.__name__ = name
        return call


def _changed_paths(reported: Any) -> tuple[tuple, ...]:
    """The child's report of arguments changed in place: at most 64 paths of list
    indices and dict keys, anything malformed dropped (it only ever costs the student a
    contract test, so it is never trusted for more)."""
    if not isinstance(reported, list):
        return ()
    paths = []
    for path in reported[:64]:
        if (isinstance(path, list) and 2 <= len(path) <= 8 and path[0] in (0, 1)
                and all(isinstance(step, (int, str)) and not isinstance(step, bool) for step in path)):
            paths.append(tuple(path))
    return tuple(paths)


class RemoteObject(RemoteHandle):
    """An object the student's code returned (an instance of a graded class, say):
    it stays in the student's process, and ``obj.method(...)`` runs there, through
    the same checks and limits as a graded function."""

    __slots__ = ("_sandbox",)

    def __init__(self, handle: RemoteHandle, sandbox: Sandbox):
        super().__init__(handle.id, handle.generation, handle.type_name)
        self._sandbox = sandbox

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        label = f"{self.type_name}.{name}"

        def method(*args, **kwargs):
            return _remote_object(self._sandbox, self._sandbox.call(label, args, kwargs, target=(name, self)))

        method.__name__ = name
        return method

    def __copy__(self):
        return self  # a reference to the same remote object, as with a direct call

    def __deepcopy__(self, memo):
        return self


def _remote_object(sandbox: Sandbox, value: Any) -> Any:
    """A handle returned on its own becomes an object whose methods can be called."""
    return RemoteObject(value, sandbox) if type(value) is RemoteHandle else value


def _bad():
    raise protocol.ProtocolError("bad handle")


def _error_message(function: str, reply: dict, spec: SandboxSpec) -> str:
    kind = printable(str(reply.get("type", "Exception")))[:100]
    message = printable(str(reply.get("message", "")))[:1000]
    bases = reply.get("bases", [])
    if "NotImplementedError" in bases or kind == "NotImplementedError":
        return f"{function} is not implemented yet"
    if kind == "SystemExit":
        return f"{function} called sys.exit(): do not exit from inside your functions."
    if kind == "MemoryError":
        return f"{function} ran out of memory (MemoryError)."
    text = f"{function} raised {kind}: {message}"
    if message.startswith("[Errno 27]"):  # EFBIG: Python ignores SIGXFSZ, so the write fails instead
        text = f"{function} tried to write a file larger than {spec.max_file_mb} MB, the limit ({kind}: {message})"
    elif message.startswith("[Errno 28]"):  # ENOSPC: the private scratch folder is full
        text = f"{function} filled all the disk space its files may use ({kind}: {message})"
    if kind == "TypeError" and function in message and ("argument" in message or "keyword" in message):
        text += f" (keep {function}'s parameters as in the starter code: the graders call it that way)"
    tb = printable(str(reply.get("traceback", "")))[:2000]
    return f"{text}\n{tb}" if tb else text


def _import_message(module: str, reply: dict, packages: tuple[str, ...] = ()) -> str:
    module = printable(module)
    kind = printable(str(reply.get("type", "Exception")))[:100]
    message = printable(str(reply.get("message", "")))[:1000]
    tb = printable(str(reply.get("traceback", "")))[:2000]
    if kind == "ModuleNotFoundError":
        hint = (f" Only the standard library and {', '.join(packages)} are available to your code." if packages
                else " Only the standard library is available to your code.")
    elif kind == "SyntaxError":
        hint = " Fix the syntax error (run the public tests locally first)."
    else:
        hint = ""
    text = f"{module}.py could not be imported: {kind}: {message}.{hint}"
    return f"{text}\n{tb}" if tb else text


def _widen_pipe(fd: int) -> None:
    """Ask for 1 MB pipe buffers (Linux; 64 KB by default): arrays cross in fewer
    context switches. Where the system refuses, the default buffer works too."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (OSError, ImportError):
        pass


def _become_subreaper() -> None:
    """Orphans of the student's process get reparented to us (not to a container's
    init that may never reap them), so they can be waited for."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _reap_orphans() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return

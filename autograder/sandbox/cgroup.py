"""One control group holding every process of the student's, where one can be
created: a memory and a process-count limit for all of them together (rlimits count
per process: 32 processes of 512 MB each would otherwise be allowed).

cgroup v2 (``memory.max``, ``pids.max``) where the unified hierarchy has both
controllers, else cgroup v1's memory and pids hierarchies (``memory.limit_in_bytes``,
``pids.max``). The group also counts the CPU time of every process that was ever in
it, threads and processes that ended included (v2's ``cpu.stat``; v1's ``cpuacct``
hierarchy, where one is mounted): the bonus's stopwatch reads it. :func:`create`
never raises: a machine that gives no writable cgroup (Gradescope's container mounts
it read-only) only means no whole-sandbox limit, and the note says why; the sweep of
:mod:`.leftovers` still runs after every run.

The group is made below the grader's own cgroup, and the student's first process is
moved in right after it starts, before it has loaded anything of the student's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
import uuid
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids")
V1_CPU = "cpuacct"  # optional: without it the group limits, and the stopwatch counts processes instead


@dataclasses.dataclass
class Group:
    version: str  # "v2" or "v1"
    dirs: tuple[Path, ...]  # the group's folder in each hierarchy (one for v2)
    memory_mb: int
    max_processes: int
    cpu_dir: Path | None = None  # where the group's CPU time is read (v2: its folder; v1: cpuacct's, or none)

    def add(self, pid: int) -> None:
        """Move ``pid`` (and what it starts from now on) into the group."""
        for folder in self.dirs:
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return sorted(found)

    def oom_kills(self) -> int:
        """How many times the kernel killed a process of the group for memory."""
        folder = self.dirs[0]
        try:
            if self.version == "v2":
                events = dict(line.split() for line in (folder / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0))
            control = dict(line.split() for line in (folder / "memory.oom_control").read_text().splitlines())
            return int(control.get("oom_kill", 0))
        except (OSError, ValueError):
            return 0

    def cpu_seconds(self) -> float | None:
        """CPU seconds used by every process that was ever in the group (exited ones and
        their threads included), or None where the group has no CPU accounting."""
        if self.cpu_dir is None:
            return None
        try:
            if self.version == "v2":
                stat = dict(line.split() for line in (self.cpu_dir / "cpu.stat").read_text().splitlines())
                return int(stat["usage_usec"]) / 1e6
            return int((self.cpu_dir / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, KeyError):
            return None

    def kill(self) -> None:
        """SIGKILL every process of the group (``cgroup.kill`` where the kernel has it)."""
        for folder in self.dirs:
            if (folder / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    (folder / "cgroup.kill").write_text("1")
        for _ in range(20):
            left = self.pids()
            if not left:
                return
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for folder in self.dirs:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # zombies not reaped yet
                    time.sleep(0.02)

    def describe(self) -> dict:
        return {"whole_sandbox_limits": True, "cgroup": self.version, "cgroup_cpu": self.cpu_dir is not None}


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, file system type, super options) of every cgroup mount."""
    found = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) > 4 and len(tail) > 2 and tail[0] in ("cgroup", "cgroup2"):
                    found.append((fields[4], tail[0], tail[2]))
    except OSError:
        pass
    return found


def _own() -> dict[str, str]:
    """Our cgroup per hierarchy: ``{"": path}`` for v2, ``{"memory": path, ...}`` for v1."""
    own = {}
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    own[name] = path
    except (OSError, ValueError):
        pass
    return own


def _limit(folder: Path, name: str, value: str) -> None:
    (folder / name).write_text(value)


def create(memory_mb: int, max_processes: int) -> tuple[Group | None, str]:
    """A fresh group with the limits, or ``(None, why not)``. Never raises."""
    if os.geteuid() != 0:
        return None, "not root: no cgroup of our own to create"
    mounts, own, notes = _mounts(), _own(), []
    name = f"convnet-grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # the pid: whose group it is (see sweep)
    for point, kind, _ in mounts:
        if kind != "cgroup2" or "" not in own:
            continue
        base = Path(point) / own[""].lstrip("/")
        try:
            controllers = (base / "cgroup.controllers").read_text().split()
            if not {"memory", "pids"} <= set(controllers):
                notes.append(f"cgroup v2 at {point}: no memory and pids controllers here")
                continue
            enabled = (base / "cgroup.subtree_control").read_text().split()
            if not {"memory", "pids"} <= set(enabled):
                (base / "cgroup.subtree_control").write_text("+memory +pids")
            folder = base / name
            folder.mkdir()
            try:
                _limit(folder, "memory.max", str(memory_mb * 2**20))
                if (folder / "memory.swap.max").exists():
                    _limit(folder, "memory.swap.max", "0")
                _limit(folder, "pids.max", str(max_processes))
                if (folder / "memory.oom.group").exists():
                    _limit(folder, "memory.oom.group", "1")  # out of memory: the whole group goes
            except OSError:
                folder.rmdir()
                raise
            cpu = folder if (folder / "cpu.stat").exists() else None  # cpu.stat's usage needs no controller
            return Group("v2", (folder,), memory_mb, max_processes, cpu), ""
        except OSError as err:
            notes.append(f"cgroup v2: {err.strerror or err}")
    made: list[Path] = []
    try:
        for controller in V1_CONTROLLERS:
            points = (p for p, kind, opts in mounts if kind == "cgroup" and controller in opts.split(","))
            hierarchy = next(points, None)
            if hierarchy is None or controller not in own:
                raise OSError(0, f"no {controller} hierarchy")
            folder = Path(hierarchy) / own[controller].lstrip("/") / name
            folder.mkdir()
            made.append(folder)
        memory, pids = made
        _limit(memory, "memory.limit_in_bytes", str(memory_mb * 2**20))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            _limit(memory, "memory.memsw.limit_in_bytes", str(memory_mb * 2**20))
        _limit(pids, "pids.max", str(max_processes))
        cpu = _v1_cpu_folder(mounts, own, name)
        if cpu is not None:
            made.append(cpu)
        return Group("v1", tuple(made), memory_mb, max_processes, cpu), ""
    except OSError as err:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        notes.append(f"cgroup v1: {err.strerror or err}")
    return None, "; ".join(notes)[:300]


def _own_memory_folder() -> tuple[str, Path] | None:
    """``(version, folder)`` of the memory cgroup this process is in, as mounted here
    (read-only is enough): a container's own group, seen from inside it. The mount's
    root (mountinfo's fourth field) is the part of our path the mount hides."""
    own = _own()
    found: list[tuple[str, Path]] = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
                    continue
                version = "v2" if tail[0] == "cgroup2" else "v1"
                key = "" if version == "v2" else "memory"
                if version == "v1" and "memory" not in tail[2].split(","):
                    continue
                if key not in own:
                    continue
                root, path = fields[3], own[key]
                if root != "/" and not (path == root or path.startswith(root + "/")):
                    continue
                folder = Path(fields[4]) / path[len(root):].lstrip("/") if root != "/" else \
                    Path(fields[4]) / path.lstrip("/")
                marker = "memory.events" if version == "v2" else "memory.oom_control"
                if (folder / marker).exists():
                    found.append((version, folder))
    except OSError:
        return None
    return found[0] if found else None


def enclosing_oom_kills() -> int | None:
    """How many processes the kernel has killed for memory in the cgroup this process
    runs in (a container's: the student's processes share it when no group of their
    own can be made), or None where that cannot be read. The count, not who: compare
    it before and after a process of ours died of SIGKILL."""
    where = _own_memory_folder()
    if where is None:
        return None
    version, folder = where
    try:
        text = (folder / ("memory.events" if version == "v2" else "memory.oom_control")).read_text()
        return int(dict(line.split() for line in text.splitlines() if len(line.split()) == 2).get("oom_kill", 0))
    except (OSError, ValueError):
        return None


def enclosing_memory() -> tuple[int, int] | None:
    """``(held, limit)`` in bytes of the memory cgroup this process runs in (a
    container's): ``held`` is the memory no reclaim can free without swap (anonymous and
    shared memory: v2 ``anon`` + ``shmem``, v1 ``total_rss`` + ``total_shmem``), not the
    page cache, which a group at its limit always fills. None where it cannot be read or
    there is no limit."""
    where = _own_memory_folder()
    if where is None:
        return None
    version, folder = where
    keys = ("anon", "shmem") if version == "v2" else ("total_rss", "total_shmem")
    try:
        limit = (folder / ("memory.max" if version == "v2" else "memory.limit_in_bytes")).read_text().strip()
        if limit == "max" or int(limit) >= 2**62:  # v1's "no limit" is a page-rounded 2**63 - 1
            return None
        stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines()
                    if len(line.split()) == 2)
        return sum(int(stat.get(key, 0)) for key in keys), int(limit)
    except (OSError, ValueError):
        return None
def _v1_cpu_folder(mounts: list[tuple[str, str, str]], own: dict[str, str], name: str) -> Path | None:
    """The group's folder in v1's cpuacct hierarchy, made; None where there is none."""
    hierarchy = next((p for p, kind, opts in mounts if kind == "cgroup" and V1_CPU in opts.split(",")), None)
    if hierarchy is None or V1_CPU not in own:
        return None
    folder = Path(hierarchy) / own[V1_CPU].lstrip("/") / name
    try:
        folder.mkdir()
    except OSError:
        return None
    return folder


def _owner_alive(name: str) -> bool:
    """Whether the grading process named in ``convnet-grader-<pid>-<hex>`` still runs."""
    try:
        pid = int(name.split("-")[2])
    except (IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def sweep() -> int:
    """Remove the empty groups that killed runs left below our cgroups (their grading
    process is gone); return how many."""
    removed = 0
    own = _own()
    for point, kind, opts in _mounts():
        names = [""] if kind == "cgroup2" else [c for c in (*V1_CONTROLLERS, V1_CPU) if c in opts.split(",")]
        for controller in names:
            if controller not in own:
                continue
            base = Path(point) / own[controller].lstrip("/")
            try:
                for folder in base.glob("convnet-grader-*"):
                    if _owner_alive(folder.name):
                        continue  # a live run's (perhaps not holding its first process yet)
                    try:
                        if not (folder / "cgroup.procs").read_text().split():
                            folder.rmdir()
                            removed += 1
                    except OSError:
                        pass
            except OSError:
                pass
    return removed

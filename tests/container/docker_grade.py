"""Grade in a real Docker container built as Gradescope builds one.

    python -m tests.container.docker_grade image   --autograder dist/autograder.zip
    python -m tests.container.docker_grade grade   --autograder dist/autograder.zip --submission <dir or zip>
    python -m tests.container.docker_grade bench   --autograder dist/autograder.zip [name=<dir or zip> ...]

Needs a running Docker daemon (``tests/container/dockerd.sh start``) and, for the first
image, mmdebstrap. Three layers, each built once and cached:

1. the base image ``convnet-grader-base:bookworm``: ``mmdebstrap --variant=apt
   --include=python3,python3-venv,python3-pip,ca-certificates bookworm`` into
   ``build/container/rootfs.tar``, then ``docker import`` (rebuilt only when missing);
2. the graded image, one per autograder zip (tagged with the zip's hash): the zip
   unpacked into ``/autograder/source`` (modes kept, as Gradescope does), its
   ``setup.sh`` run there as root with ``--network host`` (pip needs the network in this
   build step only; never a bridge), ``run_autograder`` copied to
   ``/autograder/run_autograder``, then ``docker commit``;
3. each grading: a fresh container of the graded image with Gradescope's defaults,
   ``--network none --cpus 0.5 --memory 768m --memory-swap 768m``, the submission
   copied into ``/autograder/submission`` (``docker cp``: nothing of the host is mounted),
   ``run_autograder`` run, ``/autograder/results/results.json`` copied out, the
   container's changes listed (``docker diff``: the source tree and the venv must be
   unchanged), and the container removed.

The container's peak memory is read by one line after ``run_autograder`` returns, inside
the container (cgroup v2 ``memory.peak``, v1 ``memory.max_usage_in_bytes``: the group
is gone once the container stops), and printed last in the log as ``container: {...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "container"
BASE_TAG = "convnet-grader-base:bookworm"
GRADED_REPO = "convnet-grader-graded"
SUITE = "bookworm"
PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
# Gradescope's defaults (its documentation; DESIGN.md section 4).
CPUS, MEMORY = "0.5", "768m"
LIMITS = ("--network", "none", "--cpus", CPUS, "--memory", MEMORY, "--memory-swap", MEMORY)
GRADE_TIMEOUT = 900  # far above the grader's own budget (420 s of student time): a runaway only
CONTAINER_LINE = "container: "
# After run_autograder: the container's peak memory, from inside (v2, then v1).
PEAK = ("cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes "
        "2>/dev/null || echo -1")
WATCHED = ("/autograder/source", "/opt/grader-venv")  # must be unchanged by a grading


class DockerUnavailable(RuntimeError):
    """No Docker daemon answers, or the base image cannot be built; says why."""


def docker_cli() -> str:
    """Debian's docker.io client (its version matches the daemon's), else any."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise DockerUnavailable("no docker client: install Debian's docker.io (apt-get install docker.io)")


def docker(*args: str, timeout: float | None = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([docker_cli(), *args], capture_output=True, text=True, errors="replace",
                          timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def available() -> str | None:
    """None when a daemon answers; else why not."""
    try:
        done = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    except (DockerUnavailable, OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    return None if done.returncode == 0 else f"no Docker daemon answers: {done.stderr.strip()[-300:]}"


def _has_image(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False, timeout=60).returncode == 0


def base_image() -> str:
    """The bookworm base image, imported from an mmdebstrap tarball (both cached)."""
    if _has_image(BASE_TAG):
        return BASE_TAG
    CACHE.mkdir(parents=True, exist_ok=True)
    rootfs = CACHE / f"rootfs-{SUITE}.tar"
    if not rootfs.exists():
        mmdebstrap = shutil.which("mmdebstrap")
        if mmdebstrap is None:
            raise DockerUnavailable("mmdebstrap is not installed (apt-get install mmdebstrap)")
        partial = rootfs.with_suffix(".partial.tar")
        done = subprocess.run([mmdebstrap, "--variant=apt", f"--include={PACKAGES}", SUITE, str(partial)],
                              capture_output=True, text=True, errors="replace", timeout=1800)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise DockerUnavailable(f"mmdebstrap could not build the {SUITE} root file system "
                                    f"(exit {done.returncode}):\n{done.stderr.strip()[-3000:]}")
        partial.rename(rootfs)
    docker("import", str(rootfs), BASE_TAG, timeout=600)
    return BASE_TAG


def zip_key(autograder_zip: Path) -> str:
    return hashlib.sha256(autograder_zip.read_bytes()).hexdigest()[:16]


def graded_image(autograder_zip: Path) -> str:
    """The image Gradescope would build from ``autograder_zip`` (cached by its hash).
    Built once: gradings that start together wait for the first one's build."""
    tag = f"{GRADED_REPO}:{zip_key(autograder_zip)}"
    if _has_image(tag):
        return tag
    CACHE.mkdir(parents=True, exist_ok=True)
    with _BUILD_LOCK, open(CACHE / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _has_image(tag):
            _build_graded(autograder_zip, tag)
    return tag


_BUILD_LOCK = threading.Lock()  # the file lock is per process: threads of one take this first


def _build_graded(autograder_zip: Path, tag: str) -> None:
    from autograder.staff.simulate import _unzip

    base = base_image()
    name = f"convnet-grader-build-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "autograder"
        _unzip(autograder_zip, tree / "source")
        script = ("set -e; mkdir -p /autograder/results; cd /autograder/source && bash ./setup.sh"
                  " && cp run_autograder /autograder/run_autograder && chmod 755 /autograder/run_autograder")
        docker("create", "--name", name, "--network", "host", *_pip_access(), base, "bash", "-c", script)
        try:
            docker("cp", str(tree), f"{name}:/autograder", timeout=300)
            built = docker("start", "-a", name, timeout=1800, check=False)
            if built.returncode != 0:
                raise RuntimeError(f"setup.sh failed in the container ({built.returncode}):\n"
                                   f"{(built.stdout + built.stderr)[-3000:]}")
            docker("commit", "--change", 'CMD ["/autograder/run_autograder"]', name, tag, timeout=600)
        finally:
            docker("rm", "-f", name, check=False, timeout=120)


def _pip_access() -> list[str]:
    """``docker create`` arguments that let pip in the build step reach the package
    index as this machine's pip does: the CA bundle it trusts (behind a proxy that
    re-signs TLS, the system's own is not enough), mounted read-only for the build only
    (a mount is not part of the committed image), and the proxy and index variables."""
    found: list[str] = []
    for variable in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        bundle = os.environ.get(variable, "")
        if bundle and os.path.isfile(bundle):
            found += ["-v", f"{os.path.realpath(bundle)}:/run/build-ca.crt:ro", "-e", "PIP_CERT=/run/build-ca.crt"]
            break
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
                     "PIP_INDEX_URL", "PIP_DEFAULT_TIMEOUT"):
        value = os.environ.get(variable, "")
        if value and not value.startswith("file:"):
            found += ["-e", f"{variable}={value}"]
    return found


def _metadata() -> str:
    return json.dumps({
        "id": 1, "created_at": "2026-01-01T00:00:00Z", "assignment": {"title": "real container"},
        "users": [{"name": "Local Student", "email": "student@example.com"}], "previous_submissions": [],
    }, indent=2)


class Run:
    """What one container grading did: its log, results, peak memory, wall time, and
    the paths it changed under ``WATCHED``."""

    def __init__(self) -> None:
        self.log = ""
        self.results: dict = {}
        self.seconds = 0.0
        self.peak_mb: float | None = None
        self.changed: list[str] = []
        self.results_listing: list[str] = []
        self.container = ""


def grade_in_container(autograder_zip: Path, submission: Path, timeout: float = GRADE_TIMEOUT,
                       memory: str = MEMORY, image: str | None = None) -> tuple[Run, list[str]]:
    """Grade ``submission`` (folder or zip) in a fresh container; ``(run, unpack notes)``.
    ``memory``: the container's limit (Gradescope's default unless a test says);
    ``image``: another image than the zip's graded one (a test's variant of it).
    Raises :class:`autograder.staff.simulate.GradingTimeout` after ``timeout`` seconds
    (the container is killed and removed)."""
    from autograder.staff.simulate import GradingTimeout
    from autograder.staff.unpack import UnpackError, unpack

    image = image or graded_image(autograder_zip)
    limits = [*LIMITS[:4], "--memory", memory, "--memory-swap", memory]
    run, notes = Run(), []
    name = run.container = f"convnet-grader-run-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        if submission.is_dir():
            shutil.copytree(submission, folder, symlinks=True, dirs_exist_ok=True)
        else:
            try:
                notes = unpack(submission, folder)
            except UnpackError as err:
                notes = [str(err)]
        (Path(tmp) / "submission_metadata.json").write_text(_metadata())
        command = f"/autograder/run_autograder; echo; echo \"{CONTAINER_LINE}{{\\\"peak_bytes\\\": $({PEAK})}}\""
        docker("create", "--name", name, *limits, image, "bash", "-c", command)
        try:
            docker("cp", str(folder), f"{name}:/autograder/submission", timeout=300)
            docker("cp", str(Path(tmp) / "submission_metadata.json"), f"{name}:/autograder/submission_metadata.json")
            started = time.monotonic()
            try:
                done = docker("start", "-a", name, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                docker("kill", name, check=False, timeout=60)
                raise GradingTimeout(timeout, docker("logs", name, check=False, timeout=60).stdout) from None
            run.seconds = time.monotonic() - started
            run.log = done.stdout + done.stderr
            run.peak_mb = _peak_mb(run.log)
            out = Path(tmp) / "results"
            docker("cp", f"{name}:/autograder/results/.", str(out), check=False)
            run.results_listing = sorted(os.listdir(out)) if out.is_dir() else []
            run.results = json.loads((out / "results.json").read_text(encoding="utf-8"))
            diff = docker("diff", name, check=False).stdout.splitlines()
            run.changed = [line for line in diff if any(line[2:] == w or line[2:].startswith(w + "/")
                                                         for w in WATCHED)]
        finally:
            docker("rm", "-f", name, check=False, timeout=120)
    return run, notes


def _peak_mb(log: str) -> float | None:
    for line in reversed(log.splitlines()):
        if line.startswith(CONTAINER_LINE):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                peak = int(json.loads(line[len(CONTAINER_LINE):])["peak_bytes"])
                return round(peak / 2**20, 1) if peak >= 0 else None
    return None


def grade(autograder_zip: Path, submission: Path, results_path: Path, timeout: float = GRADE_TIMEOUT,
          trace=None) -> tuple[dict, str, list[str]]:
    """:func:`autograder.staff.simulate.grade`'s contract, in a real container:
    ``(results, log, notes)``, results.json copied to ``results_path``. ``trace`` (an
    object with ``root``, ``source_before/after``, ``venv_before/after`` and
    ``results_listing``, as tests/test_hostile.py's) is filled in from ``docker diff``."""
    run, notes = grade_in_container(autograder_zip, submission, timeout)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(run.results), encoding="utf-8")
    if trace is not None:
        trace.root = Path("/autograder/source")  # (/autograder itself is public: Gradescope's documentation)
        source = [c for c in run.changed if c[2:].startswith(WATCHED[0])]
        venv = [c for c in run.changed if c[2:].startswith(WATCHED[1])]
        trace.source_before, trace.source_after = "image", "image" if not source else "changed: " + "; ".join(source)
        trace.venv_before, trace.venv_after = "image", "image" if not venv else "changed: " + "; ".join(venv)
        trace.results_listing = run.results_listing
    return run.results, run.log, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("image", "grade"))
    parser.add_argument("--autograder", type=Path, default=ROOT / "dist" / "autograder.zip")
    parser.add_argument("--submission", type=Path)
    args = parser.parse_args(argv)
    why = available()
    if why:
        print(f"error: {why}", file=sys.stderr)
        return 2
    print(graded_image(args.autograder))
    if args.action == "grade":
        if args.submission is None:
            parser.error("grade needs --submission")
        run, notes = grade_in_container(args.autograder, args.submission)
        print(run.log)
        for note in notes:
            print(f"note: {note}")
        print(json.dumps({"score": run.results.get("score"), "seconds": round(run.seconds, 1),
                          "peak_mb": run.peak_mb}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

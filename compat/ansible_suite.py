"""EverTrust's Ansible collection against the portal: its own integration suite, unchanged.

    make compat                                   # every target
    .venv/bin/python compat/ansible_suite.py --target horizon_certificate_renew

What it does, as EverTrust's CI does it for a Horizon (``tests/integration/run_horizon_matrix.py``
in the collection), with the portal in Horizon's place:

1. finds the collection (``HORIZON_ANSIBLE_SRC``, default ``../shared/horizon-ansible``); without
   it, says so and exits 0 — a user's clone has no ``../shared``;
2. builds (once, cached by the hash of what it installs) a venv ``.venv-compat`` with
   ``ansible>=12,<14`` and the collection's requirement files;
3. serves the portal under gunicorn (production settings) on a fresh PostgreSQL database
   (``raportal_compat``) after ``migrate``, ``init_pki`` and ``seed_demo``;
4. provisions it with the suite's own ``provision_horizon(endpoint)`` (compat/provision.py);
5. copies the collection to a temporary directory (the source may be read-only), builds and
   installs it with ``ansible-galaxy``, writes ``integration_config.yml`` as EverTrust's CI does
   (requester ``ansible-requester``, approver = the administrator);
6. runs ``ansible-test integration --local`` once per target, prints target → pass/fail with
   the first failing task, and exits non-zero if any target fails.

Logs (the portal's and one per target) are kept under ``test-artifacts/compat/``.
"""

import sys
from pathlib import Path

if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

from bench.common import ROOT, fresh_secrets, local_server, postgres_reachable, recreate_database

ANSIBLE_REQUIREMENT = "ansible>=12,<14"
DATABASE = "raportal_compat"
# The portal's staff account (seed_demo) plays Horizon's administrator, and approves.
ADMIN_API_ID, ADMIN_API_KEY = "admin", "admin-key"
# What EverTrust's CI writes for the requester (run_horizon_matrix.REQUESTER_API_*).
REQUESTER_API_ID, REQUESTER_API_KEY = "ansible-requester", "Ansible-Requester-42!"
ARTIFACTS = ROOT / "test-artifacts" / "compat"
TARGET_TIMEOUT = 900  # seconds; a target takes well under a minute


def collection_source() -> Path | None:
    source = Path(
        os.environ.get("HORIZON_ANSIBLE_SRC") or ROOT.parent / "shared" / "horizon-ansible"
    )
    return source.resolve() if (source / "galaxy.yml").is_file() else None


def describe_collection(source: Path) -> str:
    """``evertrust.horizon 2.0.0 (tree a1b2c3d4e5f6)``: its version and a digest of its files
    (path and content), which names the copy tested when there is no git history beside it."""
    version = re.search(r"^version:\s*(\S+)", (source / "galaxy.yml").read_text(), re.M)
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes())
    return (
        f"evertrust.horizon {version.group(1) if version else '?'} (tree {digest.hexdigest()[:12]})"
    )


def requirement_files(source: Path) -> list[Path]:
    return [source / "requirements.txt", source / "tests" / "integration" / "requirements.txt"]


def compat_venv(source: Path, venv: Path) -> Path:
    """The venv with Ansible and the collection's requirements; rebuilt when they change."""
    files = requirement_files(source)
    digest = hashlib.sha256(ANSIBLE_REQUIREMENT.encode())
    for path in files:
        digest.update(path.read_bytes())
    stamp, python = venv / ".compat-installed", venv / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest() and python.exists():
        return python
    interpreter = subprocess.run(
        [str(ROOT / "bin" / "find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"Building {venv} ({ANSIBLE_REQUIREMENT} and the collection's requirements)…")
    subprocess.run([interpreter, "-m", "venv", "--clear", str(venv)], check=True)
    install = [str(python), "-m", "pip", "install", "-q", ANSIBLE_REQUIREMENT]
    for path in files:
        install += ["-r", str(path)]
    subprocess.run(install, check=True)
    stamp.write_text(digest.hexdigest())
    return python


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_portal(port: int, log_path: Path, database: str) -> tuple[subprocess.Popen, str]:
    """gunicorn with the production configuration, on a fresh PostgreSQL database."""
    if not postgres_reachable():
        raise SystemExit("make compat needs PostgreSQL at 127.0.0.1:5432 (user postgres)")
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": recreate_database(database),
        **fresh_secrets(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RAPORTAL_BASE_URL": base,
        **local_server(),
        "RAPORTAL_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "RAPORTAL_LOG_FORMAT": "text",
        "CELERY_BROKER_URL": "",
    }
    env.pop("DJANGO_DEBUG", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "-v0"],
        ["init_pki"],
        ["seed_demo", "--force", "--without-samples"],
    ):
        subprocess.run(manage + command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 (loopback)
            return server, base
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"the portal did not start; see {log_path}")


def build_collection(source: Path, work: Path, bin_dir: Path, env: dict) -> Path:
    """Copies the collection (its source may be read-only), builds and installs it; returns the
    installed collection's directory."""
    copy = work / "source"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".git", "tests/output", "*.tar.gz"))
    artifacts, collections = work / "artifact", work / "collections"
    galaxy = str(bin_dir / "ansible-galaxy")
    subprocess.run(
        [galaxy, "collection", "build", "--force", "--output-path", str(artifacts)],
        cwd=copy,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (artifact,) = artifacts.glob("*.tar.gz")
    subprocess.run(
        [galaxy, "collection", "install", "--force", "-p", str(collections), str(artifact)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return collections / "ansible_collections" / "evertrust" / "horizon"


def targets_of(collection: Path) -> list[str]:
    root = collection / "tests" / "integration" / "targets"
    return sorted(p.name for p in root.iterdir() if (p / "tasks" / "main.yml").is_file())


TASK_LINE = re.compile(r"^TASK \[(?P<name>.*)\] \*+")
FAILURE_LINE = re.compile(r"^(fatal|failed): \[")


def first_failing_task(output: str) -> str:
    """The name of the first task that failed and was not ignored, and its message."""
    task = ""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if match := TASK_LINE.match(line):
            task = match.group("name")
        elif FAILURE_LINE.match(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.strip() == "...ignoring":
                continue
            message = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', line)
            detail = message.group(1)[:160] if message else ""
            return f"{task}: {detail}" if detail else task
    for line in reversed(lines):  # failed outside a task (syntax, missing file…)
        if line.startswith(("ERROR", "FATAL")):
            return line[:200]
    return "(no failing task found; see the log)"


def run_target(target: str, collection: Path, python: Path, env: dict) -> tuple[bool, str]:
    command = [
        str(python.parent / "ansible-test"),
        "integration",
        target,
        "--local",
        "-v",
        "--color",
        "no",
        "--python-interpreter",
        str(python),
    ]
    try:
        result = subprocess.run(
            command,
            cwd=collection,
            env=env,
            capture_output=True,
            text=True,
            timeout=TARGET_TIMEOUT,
            check=False,
        )
        output, passed = result.stdout + result.stderr, result.returncode == 0
    except subprocess.TimeoutExpired as exc:
        # What it printed until then: bytes here, even with text=True.
        printed = [
            part.decode(errors="replace") if isinstance(part, bytes) else part or ""
            for part in (exc.stdout, exc.stderr)
        ]
        output = "".join(printed) + f"\nTIMEOUT after {TARGET_TIMEOUT}s"
        passed = False
    (ARTIFACTS / f"{target}.log").write_text(output)
    return passed, "" if passed else first_failing_task(output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", dest="targets", help="only this target")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-compat")
    parser.add_argument(
        "--database",
        default=DATABASE,
        help="the PostgreSQL database to drop and create (two runs at once need two)",
    )
    args = parser.parse_args()

    source = collection_source()
    if source is None:
        print(
            "compat: skipped — EverTrust's Ansible collection was not found (set "
            "HORIZON_ANSIBLE_SRC to a checkout of github.com/EverTrust/horizon-ansible)."
        )
        return 0
    print(f"compat: {describe_collection(source)} from {source}")
    python = compat_venv(source, args.venv)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="raportal-compat-"))
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
        "ANSIBLE_HOME": str(work / "ansible-home"),
    }
    for name in ("DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    server = None
    try:
        collection = build_collection(source, work, python.parent, env)
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collection.parents[2])
        targets = args.targets or targets_of(collection)
        server, endpoint = start_portal(free_port(), ARTIFACTS / "portal.log", args.database)
        provisioned = subprocess.run(
            [
                str(python),
                str(ROOT / "compat" / "provision.py"),
                endpoint,
                str(work / "source"),
                ADMIN_API_ID,
                ADMIN_API_KEY,
            ],
            env=env,
            check=False,
        )
        if provisioned.returncode != 0:
            print(
                "\ncompat: provision_horizon() failed against the portal (above); "
                f"no target ran. Portal log: {ARTIFACTS.relative_to(ROOT)}/portal.log"
            )
            return 1
        config = collection / "tests" / "integration" / "integration_config.yml"
        config.write_text(
            json.dumps(
                {
                    "endpoint": endpoint,
                    "x_api_id": ADMIN_API_ID,
                    "x_api_key": ADMIN_API_KEY,
                    "requester_x_api_id": REQUESTER_API_ID,
                    "requester_x_api_key": REQUESTER_API_KEY,
                    "approver_x_api_id": ADMIN_API_ID,
                    "approver_x_api_key": ADMIN_API_KEY,
                }
            )
            + "\n"
        )
        config.chmod(0o600)
        results = {}
        for target in targets:
            started = time.monotonic()
            passed, failure = run_target(target, collection, python, env)
            results[target] = (passed, failure, time.monotonic() - started)
            print(f"  {target}: {'pass' if passed else 'FAIL'}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(t) for t in results)
    print(f"\n{'target':<{width}}  result  seconds  first failing task")
    for target, (passed, failure, seconds) in results.items():
        print(f"{target:<{width}}  {'pass' if passed else 'FAIL':<6}  {seconds:7.1f}  {failure}")
    passing = sum(passed for passed, _, _ in results.values())
    print(f"\n{passing}/{len(results)} targets passing (logs: {ARTIFACTS.relative_to(ROOT)}/)")
    return 0 if passing == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""One source tree served by gunicorn on its own throw-away database, and a baseline commit
checked out beside this tree: what ``bench/submit.py`` runs twice to compare two commits in one
run (and ``bench/pages.py`` uses for its baseline checkout).

Both trees run with this interpreter (the same virtualenv), through ``bench/in_tree.py``: each
imports its own code only, although the virtualenv's editable install names one checkout.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.common import (
    ROOT,
    free_port,
    local_server,
    postgres_reachable,
    recreate_database,
    start_gunicorn,
    stop,
    wait_until_healthy,
)

IN_TREE = Path(__file__).resolve().parent / "in_tree.py"


@contextlib.contextmanager
def baseline_worktree(ref: str) -> Iterator[Path]:
    """``ref`` checked out (detached) in a temporary git worktree, removed afterwards."""
    tree = Path(tempfile.mkdtemp(prefix="raportal-bench-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(tree, ignore_errors=True)


def database_for(name: str, workdir: Path) -> str:
    """A fresh database: PostgreSQL ``name`` when reachable, else a SQLite file in ``workdir``.
    ``DATABASE_URL`` in the environment wins for this tree alone (``name`` = raportal_bench)."""
    if name == "raportal_bench" and os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if postgres_reachable():
        return recreate_database(name)
    return f"sqlite:///{workdir / (name + '.sqlite3')}"


class Server:
    """``tree`` migrated, seeded (``init_pki``, ``seed_demo``) and served by gunicorn sync
    workers with production settings (DEBUG off, no broker, a cache per process)."""

    def __init__(
        self, label: str, tree: Path, database: str, secrets: dict, workers: int, workdir: Path
    ):
        self.label, self.tree, self.workers = label, tree, workers
        static = workdir / f"static-{label}"  # none collected: the API serves no static file
        static.mkdir(exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database,
            **secrets,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "RAPORTAL_BASE_URL": self.base,
            **local_server(),
            "DJANGO_LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": "",
            "DJANGO_STATIC_ROOT": str(static),
        }
        for name in ("DJANGO_DEBUG", "RAPORTAL_CACHE_URL", "REDIS_URL", "PYTHONPATH"):
            self.env.pop(name, None)
        if database.startswith("sqlite"):
            self.env["RAPORTAL_ALLOW_SQLITE"] = "1"
        self.log = workdir / f"{label}.log"
        self.process: subprocess.Popen | None = None

    def manage(self, *command: str, capture: bool = False) -> str:
        done = subprocess.run(
            [sys.executable, str(IN_TREE), str(self.tree), "manage.py", *command],
            env=self.env,
            cwd=self.tree,
            text=True,
            capture_output=True,
        )
        if done.returncode:
            raise RuntimeError(f"{self.label}: manage.py {' '.join(command)}:\n{done.stderr}")
        return done.stdout if capture else ""

    def seed(self) -> None:
        self.manage("migrate", "-v0")
        self.manage("init_pki")
        # An older tree may not know --without-samples (it then made no samples either).
        options = self.manage("seed_demo", "--help", capture=True)
        extra = ["--without-samples"] if "--without-samples" in options else []
        self.manage("seed_demo", "--force", *extra)

    def start(self) -> None:
        with self.log.open("w") as log:  # gunicorn's and the portal's log lines
            self.process = start_gunicorn(
                self.env, self.port, self.workers, "--log-level", "warning", log=log, tree=self.tree
            )
        try:
            wait_until_healthy(self.base, self.process)
        except RuntimeError as error:
            raise RuntimeError(f"{self.label}: {error}\n{self.log.read_text()[-4000:]}") from None

    def stop(self) -> None:
        if self.process:
            stop(self.process)

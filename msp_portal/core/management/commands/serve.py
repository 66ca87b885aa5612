"""Run the whole portal on one machine: gunicorn for the web, a Celery worker with beat beside."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

DEMO_LOGINS = (
    "admin@msp.example",
    "manager@msp.example",
    "tech@msp.example",
    "it@acme.example",
    "user@acme.example",
    "it@globex.example",
)
DEMO_PASSWORD = "demo-pass-2026"
# Time a child has to finish its in-flight requests or tasks before it is killed.
STOP_TIMEOUT_SECONDS = 30


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM if the supervisor itself dies.

    The children run in their own process groups (see below), so without this a supervisor
    killed with SIGKILL would leave gunicorn holding the port and a worker holding the queue.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Serve the portal with gunicorn and run a Celery worker with embedded beat beside it. "
        "SIGINT/SIGTERM stop both gracefully; if either dies, the other is stopped too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="Address gunicorn listens on (host:port)."
        )
        parser.add_argument(
            "--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)."
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="Threads per gunicorn worker (default 4)."
        )
        parser.add_argument(
            "--concurrency", type=int, default=2, help="Celery worker threads (default 2)."
        )

    def handle(
        self, *args: str, bind: str, web_workers: int, threads: int, concurrency: int, **options
    ) -> None:
        commands = {
            "web": [
                sys.executable, "-m", "gunicorn", "msp_portal.wsgi",
                "--bind", bind,
                "--workers", str(web_workers),
                "--worker-class", "gthread",
                "--threads", str(threads),
                "--access-logfile", "-",
                # Nothing here uses gunicorn's control socket, kept in $HOME by default, where
                # two installations on one machine would fight over it.
                "--no-control-socket",
            ],
            "worker": [
                sys.executable, "-m", "celery", "-A", "msp_portal", "worker",
                # Embedded beat: exactly one scheduler, since this is the only worker.
                "--beat",
                "--schedule-filename", str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                # Threads keep the footprint small; the tasks wait on I/O, not on the CPU.
                "--pool", "threads",
                "--concurrency", str(concurrency),
                "--loglevel", settings.LOG_LEVEL,
                "--hostname", "portal@%h",
            ],
        }  # fmt: skip
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_requested = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.on_signal)

        try:
            for name, argv in commands.items():
                # A process group of their own: a Ctrl-C in the terminal reaches only this
                # supervisor, which then stops each child once, gracefully, with SIGTERM.
                self.children[name] = subprocess.Popen(
                    argv, cwd=settings.BASE_DIR, process_group=0, preexec_fn=_die_with_parent
                )
        except OSError as exc:
            self.stop_children()
            raise CommandError(f"Could not start the {name} process: {exc}") from exc

        self.announce(bind)
        died = self.supervise()
        self.stop_children()
        if died is not None:
            name, code = died
            raise CommandError(
                f"The {name} process exited with code {code}; stopped everything.",
                returncode=code if code > 0 else 1,
            )
        self.stdout.write("Stopped.")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        """First signal: stop gracefully. A second one while stopping: kill at once."""
        if self.stop_requested:
            for proc in self.children.values():
                if proc.poll() is None:
                    proc.kill()
            return
        self.stop_requested = True
        self.stderr.write(f"{signal.Signals(signum).name} received, stopping web and worker...")

    def supervise(self) -> tuple[str, int] | None:
        """Wait for a stop request or for a child to die; name the child that died."""
        while not self.stop_requested:
            for name, proc in self.children.items():
                code = proc.poll()
                if code is not None:
                    return name, code
            time.sleep(0.5)
        return None

    def stop_children(self) -> None:
        """SIGTERM every live child (graceful for both gunicorn and Celery), then reap them."""
        for proc in self.children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, proc in self.children.items():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} process did not stop in time; killing it.")
                proc.kill()
                proc.wait()
        for proc in self.children.values():
            # Sweep what a child that died abruptly left behind in its process group (the
            # worker's embedded beat, gunicorn's workers); after a clean stop nothing is left.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)

    def announce(self, bind: str) -> None:
        """Say where the portal is and, on a demo database, how to sign in."""
        where = bind if bind.startswith(("unix:", "fd://")) else f"http://{bind}/"
        pids = ", ".join(f"{name} pid {proc.pid}" for name, proc in self.children.items())
        self.stdout.write(self.style.SUCCESS(f"MSP portal on {where}  ({pids})"))
        if self.has_demo_data():
            self.stdout.write(f"Demo logins: {', '.join(DEMO_LOGINS)} -- password {DEMO_PASSWORD}")
        self.stdout.write("Press Ctrl-C to stop.")

    def has_demo_data(self) -> bool:
        try:
            return get_user_model().objects.filter(email=DEMO_LOGINS[0]).exists()
        except DatabaseError:
            return False
        finally:
            # Release the database before serving: SQLite writers should not wait on us.
            connection.close()

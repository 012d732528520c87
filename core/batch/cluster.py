"""Where a batch's tasks run: a Dask LocalCluster sized to this machine, or an existing
Dask cluster (`--scheduler tcp://HOST:PORT`).

Workers are processes with one task slot each: the engine keeps per-process state (torch
threads, loaded models) and a song's work is CPU-bound, so threads would only fight over
the cores. Each worker's torch (and OpenMP, BLAS) gets cores / workers threads, so N
workers never ask for more cores than the machine has. A worker that dies mid-task is
Dask's to handle; the scheduler here runs the task once more elsewhere
(`allowed_failures=1`) before the song is recorded as failed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import BadInput, MissingModel
from core.threads import THREADS_ENV  # a worker's share of the cores: torch and separation

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

DASHBOARD = "127.0.0.1:8787"
ALLOWED_FAILURES = 1  # a task is run again once after its worker died, then it fails
# A worker's peak while one song goes through separation and the generator (a 4-minute
# song, Spleeter in PyTorch) stays well under this; more workers than memory/this swap.
MEMORY_PER_WORKER = 3 * 2**30


def machine_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cores: int, memory: int) -> int:
    """One worker per core, fewer where the memory would not hold them."""
    return max(1, min(cores, memory // MEMORY_PER_WORKER))


def _threads_environment(threads: int) -> dict[str, str]:
    # Read by OpenMP and BLAS when they load, so set before the worker imports torch;
    # passive waiting: spinning OpenMP threads took most of a core from their neighbours.
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", THREADS_ENV)
    return {**{name: str(threads) for name in names}, "OMP_WAIT_POLICY": "PASSIVE"}


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - `make setup` installs distributed
    WorkerPlugin = object  # type: ignore[misc,assignment]


class EngineThreads(WorkerPlugin):
    """Sets each worker's torch threads when it starts (a restarted worker too). Before
    torch is loaded that is its environment, which torch reads when the first task imports
    it: importing torch here would make every worker's start (and restart) seconds slower.

    `local`: the worker is a child of `musicface batch`, in its terminal's process group, so
    a Ctrl-C reaches it too; the batch cancels and closes its workers itself, and a worker's
    own KeyboardInterrupt would only print a traceback."""

    name = "musicface-engine-threads"

    def __init__(self, threads: int | None, local: bool = False) -> None:
        self.threads = threads
        self.local = local

    def setup(self, worker: Any) -> None:
        if self.local and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        threads = self.threads or int(os.environ.get(THREADS_ENV) or 0)
        if not threads:
            return
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
            os.environ[THREADS_ENV] = str(threads)  # the separation's chunks read it
        else:
            os.environ.update(_threads_environment(threads))


@dataclass
class Cluster:
    client: Client
    local: LocalCluster | None
    workers: int
    threads: int | None  # torch threads per worker (None: as each worker's machine sets)
    dashboard: str | None

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as err:
        raise MissingModel("musicface batch needs Dask: run `make setup`") from err
    return distributed


def start_local(
    workers: int | None = None, threads: int | None = None, dashboard: bool = True
) -> Cluster:
    """A LocalCluster of `workers` processes (default: sized to the machine) on 127.0.0.1,
    each with `threads` torch threads (default: its share of the cores)."""
    distributed = _distributed()
    import psutil

    cores = machine_cores()
    if workers is None:
        workers = default_workers(cores, psutil.virtual_memory().total)
    if workers < 1:
        raise BadInput(f"--workers must be 1 or more, got {workers}")
    if threads is not None and threads < 1:
        raise BadInput(f"--threads-per-worker must be 1 or more, got {threads}")
    threads = threads or max(1, cores // workers)
    with warnings.catch_warnings():
        # A taken dashboard port moves to a free one; the link printed is the real one.
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        local = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=DASHBOARD if dashboard else None,
            memory_limit=0,  # no pausing or killing at a share of memory: a song needs its own
            silence_logs=logging.ERROR,
            scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES},
            env=_threads_environment(threads),
        )
    client = distributed.Client(local)
    client.register_plugin(EngineThreads(threads, local=True))
    link = client.dashboard_link if dashboard and _has_dashboard() else None
    return Cluster(client, local, workers, threads, link)


def _has_dashboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def connect(address: str, timeout: float = 30.0) -> Cluster:
    """The Dask cluster whose scheduler is at `address`, once it has a worker."""
    distributed = _distributed()
    import core

    try:
        client = distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise BadInput(f"cannot reach the Dask scheduler at {address}: {err}") from err
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as err:
        client.close()
        raise BadInput(
            f"the Dask scheduler at {address} has no workers after {timeout:g} s"
        ) from err
    # The scheduler unpickles the task graph too: it needs the engine as much as the workers.
    versions = {
        "scheduler": client.run_on_scheduler(_engine_probe()),
        **client.run(_engine_probe()),
    }
    wrong = {worker: v for worker, v in versions.items() if v != core.__version__}
    if wrong:
        worker, version = next(iter(wrong.items()))
        client.close()
        raise MissingModel(
            f"{worker} runs MusicFace {version}, this is {core.__version__}: install the same "
            "engine on the scheduler and every worker"
        )
    client.register_plugin(EngineThreads(None))
    link = client.dashboard_link if client.scheduler_info().get("services", {}) else None
    return Cluster(client, None, len(versions) - 1, None, link)


def _engine_probe() -> Callable[[], str]:
    """A function that says which engine a worker imports. Made here, so that it travels
    to the worker by value: a worker without the engine could not unpickle a reference."""

    def probe() -> str:
        try:
            import core
            import core.batch.tasks  # noqa: F401  (what the tasks need, not only `core`)
        except ImportError as err:
            return f"none ({err})"
        return str(core.__version__)

    return probe

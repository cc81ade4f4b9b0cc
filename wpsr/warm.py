"""Warm kernels: execute notebooks in a process that has already imported the toolkit.

Starting a Jupyter kernel and importing pandas, Altair and ``wpsr`` costs about a second per
notebook. A worker pays it once (``warm_up``); then each notebook runs in a child forked from the
warm worker, in an IPython shell of its own, and the child exits when the notebook is done. The
fork is the isolation: a global, an Altair theme, a pandas option or an environment variable set by
one notebook dies with its child, and the next notebook starts from the same pristine worker.

Outputs are recorded as a kernel records them (streams, display data, execute results, errors,
in order), so jupyter-cache stores the same notebook. A cell that raises, or runs past the
notebook's time-out, comes back as a ``Failure``: which code cell, what it raised, the traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

PRELOADED = ("pandas", "altair", "vl_convert", "nbformat", "IPython", "wpsr", "wpsr.charts", "wpsr.data", "wpsr.tables")
_SHELL: Any = None


@dataclass(frozen=True)
class Failure:
    """Why a notebook stopped: its code cell (counted from 1), what happened, and the traceback."""

    cell: int | None  # None: before its first code cell
    error: str  # e.g. "ZeroDivisionError: division by zero", or "timed out after 120 s"
    traceback: str = ""


def start_method() -> Any:
    """How workers start: forked from a server process that has imported PRELOADED once (and stays,
    so `wpsr serve --watch` pays it once), never forked from the build itself, which may have
    started vl-convert's runtime, whose threads do not survive a fork."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context


def warm_up() -> None:
    """Import what notebooks use, start the chart renderer, and make the IPython shell every
    notebook's child inherits."""
    global _SHELL
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    import vl_convert

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}}, vl_version="6.4")
    _SHELL = _shell()


def _shell() -> Any:
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data: dict, metadata: dict | None = None, source: Any = None, *, transient: Any = None,
                    update: bool = False, **kwargs: Any) -> None:
            _record({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait: bool = False) -> None:
            _OUTPUTS.clear()

    class Hook(DisplayHook):
        """The cell's value as an execute_result (what ipykernel's display hook sends)."""

        def start_displayhook(self) -> None:
            pass

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
            _record({"output_type": "execute_result", "data": format_dict, "metadata": md_dict or {},
                     "execution_count": self.shell.execution_count})

        def finish_displayhook(self) -> None:
            pass

    shell = InteractiveShell.instance(colors="NoColor", xmode="Plain", autocall=0)
    shell.display_pub = Publisher(shell=shell, parent=shell)
    shell.displayhook = Hook(shell=shell, cache_size=0, parent=shell)
    shell.display_trap.hook = shell.displayhook
    shell.history_manager.enabled = False

    def show_traceback(etype: type, evalue: BaseException, stb: list[str]) -> None:
        _record({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb})

    shell._showtraceback = show_traceback  # a kernel's error output, not text on stdout
    return shell


_OUTPUTS: list[dict] = []


def _record(output: dict) -> None:
    _OUTPUTS.append(output)


class _Stream:
    """stdout or stderr as a kernel sends it: consecutive writes make one stream output."""

    def __init__(self, name: str):
        self.name = name

    def write(self, text: str) -> int:
        if _OUTPUTS and _OUTPUTS[-1].get("output_type") == "stream" and _OUTPUTS[-1]["name"] == self.name:
            _OUTPUTS[-1]["text"] += text
        elif text:
            _record({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _execute(notebook: Any, cwd: str, env: dict[str, str], started: Any) -> tuple[Any, Failure | None]:
    """Run every code cell of the notebook in this (child) process, saying each cell's number to
    `started` as it starts; the notebook with its outputs, and why it stopped, if it did."""
    import nbformat

    os.chdir(cwd)
    os.environ.update(env)
    sys.path.insert(0, cwd)
    shell = _SHELL if _SHELL is not None else _shell()
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
    shell.execution_count = 1
    for number, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), start=1):
        started(number)
        _OUTPUTS.clear()
        cell.execution_count = shell.execution_count
        result = shell.run_cell(cell.source, store_history=True)  # history: a trailing `;` hides the value
        for output in _OUTPUTS:
            if output["output_type"] == "execute_result":
                output["execution_count"] = cell.execution_count  # IPython has already counted the next cell
        cell.outputs = [nbformat.from_dict(output) for output in _OUTPUTS]
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            shown = next((o for o in _OUTPUTS if o["output_type"] == "error"), {"traceback": []})
            return notebook, Failure(number, f"{type(error).__name__}: {error}", "\n".join(shown["traceback"]))
    return notebook, None


def run(notebook: Any, cwd: str, timeout: int | None, env: dict[str, str]) -> tuple[Any, float, Failure | None]:
    """Execute a notebook in a child of this warm process; return it with its outputs, the seconds
    taken and why it failed, if it did (then the notebook is None).

    The child reaches the chart renderer through this process (``_serve``): vl-convert's runtime,
    started once here, cannot cross a fork, and starting it costs a second or more."""
    from multiprocessing import Pipe

    started = time.perf_counter()
    ours, theirs = Pipe()
    child = os.fork()
    if child == 0:  # the child: run, send the result, and leave without running any clean-up
        ours.close()
        try:
            _renderer_through(theirs)
            result = _execute(notebook, cwd, env, lambda number: theirs.send(("cell", number)))
        except BaseException as err:  # anything: reported as the notebook's failure
            result = (None, Failure(None, f"{type(err).__name__}: {err}"))
        try:
            theirs.send(("done", result))
        finally:
            os._exit(0)
    theirs.close()
    try:
        executed, error = _serve(ours, child, timeout)
    finally:
        ours.close()
        os.waitpid(child, 0)
    return (None if error else executed), time.perf_counter() - started, error


def _serve(connection: Any, child: int, timeout: int | None) -> tuple[Any, Failure | None]:
    """Answer the child's calls to the chart renderer until it sends its result (or runs out of time)."""
    import vl_convert

    deadline = None if not timeout or timeout < 0 else time.monotonic() + timeout
    cell = None  # the code cell running
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if (left is not None and left <= 0) or not connection.poll(left):
            os.kill(child, signal.SIGKILL)
            return None, Failure(cell, f"timed out after {timeout} s")
        try:
            kind, *message = connection.recv()
        except (EOFError, OSError):
            return None, Failure(cell, "the notebook's process ended early (out of memory, or it exited)")
        if kind == "done":
            return message[0]
        if kind == "cell":
            cell = message[0]
            continue
        name, args, kwargs = message
        try:
            connection.send(("ok", getattr(vl_convert, name)(*args, **kwargs)))
        except Exception as err:  # the renderer's error, raised again in the notebook
            connection.send(("error", err))


def _renderer_through(connection: Any) -> None:
    """In the child: every vl-convert function asks the warm worker instead."""
    import vl_convert

    def remote(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            connection.send(("call", name, args, kwargs))
            status, value = connection.recv()
            if status == "error":
                raise value
            return value
        return call

    for name in dir(vl_convert):
        if not name.startswith("_") and callable(getattr(vl_convert, name)):
            setattr(vl_convert, name, remote(name))

"""Warm kernels: notebooks run in one warm worker, one after another, see nothing of each other,
and come back with their outputs as a kernel records them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT
from wpsr import warm


def notebook(*cells: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])


@pytest.fixture(scope="module")
def worker() -> Iterator[ProcessPoolExecutor]:
    """One warm worker, as the build starts them: every notebook below runs in it, in turn. (This
    process has drawn charts already: a worker forked from it would hang on the renderer.)"""
    import vl_convert

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}}, vl_version="6.4")  # as serve --watch has
    start = warm.start_method()
    with ProcessPoolExecutor(1, mp_context=start, initializer=warm.warm_up) as pool:
        yield pool


def run(worker: ProcessPoolExecutor, nb: nbformat.NotebookNode, timeout: int = 60, cwd: Path = ROOT) -> tuple:
    return worker.submit(warm.run, nb, str(cwd), timeout, {"WPSR_TEST_VARIABLE": "set for this notebook"}).result()


def test_nothing_one_notebook_sets_is_seen_by_the_next(worker: ProcessPoolExecutor) -> None:
    first = notebook("import os\nimport altair as alt\nimport pandas as pd\nimport wpsr.charts\n"
                     "leaked = 'a global'\nalt.theme.enable('dark')\npd.set_option('display.max_rows', 3)\n"
                     "os.environ['WPSR_LEAK'] = 'yes'\nwpsr.charts.WIDTH = 1\nprint('first ran')")
    executed, _, error = run(worker, first)
    assert error is None and executed.cells[0].outputs[0]["text"] == "first ran\n"
    second = notebook("import os\nimport altair as alt\nimport pandas as pd\nimport wpsr.charts\n"
                      "print('leaked' in globals(), alt.theme.active, pd.get_option('display.max_rows'), "
                      "os.environ.get('WPSR_LEAK'), wpsr.charts.WIDTH, os.environ['WPSR_TEST_VARIABLE'])")
    executed, _, error = run(worker, second)
    assert error is None
    assert executed.cells[0].outputs[0]["text"] == f"False wpsr 60 None {620} set for this notebook\n"


def test_outputs_come_back_in_order_as_a_kernel_records_them(worker: ProcessPoolExecutor) -> None:
    executed, _, error = run(worker, notebook(
        "from IPython.display import HTML, display\nprint('one')\nprint('two')\ndisplay(HTML('<b>x</b>'))\n"
        "import sys\nprint('warned', file=sys.stderr)\n6 * 7",
        "value = 1\nvalue;"))
    assert error is None
    first, second = executed.cells
    assert [o["output_type"] for o in first.outputs] == ["stream", "display_data", "stream", "execute_result"]
    assert first.outputs[0]["text"] == "one\ntwo\n" and first.outputs[1]["data"]["text/html"] == "<b>x</b>"
    assert first.outputs[2]["name"] == "stderr" and first.outputs[3]["data"]["text/plain"] == "42"
    assert (first.execution_count, second.execution_count) == (1, 2) and second.outputs == []  # `;` hides it
    assert first.outputs[3]["execution_count"] == 1


def test_a_cell_that_raises_or_runs_too_long_is_named_by_its_number(worker: ProcessPoolExecutor) -> None:
    executed, _, failure = run(worker, notebook("x = 1", "1 / 0"))
    assert executed is None and (failure.cell, failure.error) == (2, "ZeroDivisionError: division by zero")
    assert "1 / 0" in failure.traceback and "ZeroDivisionError" in failure.traceback
    executed, seconds, failure = run(worker, notebook("x = 1", "import time\ntime.sleep(30)"), timeout=1)
    assert executed is None and (failure.cell, failure.error) == (2, "timed out after 1 s") and seconds < 10
    executed, _, failure = run(worker, notebook("print('the worker is still warm')"))
    assert failure is None and executed.cells[0].outputs[0]["text"] == "the worker is still warm\n"


def test_a_toolkit_figure_keeps_its_own_mime_type(worker: ProcessPoolExecutor) -> None:
    executed, _, error = run(worker, notebook(
        "import pandas as pd\nimport wpsr\nfrom wpsr.charts import bars\n"
        "frame = pd.DataFrame({'group': ['a', 'b'], 'share': [1.0, 2.0]})\n"
        "wpsr.figure(bars(frame, value='share', category='group', value_title='Share'), title='T', "
        "description='Two bars.', sources='internet-use')"))
    assert error is None
    data = executed.cells[0].outputs[0]["data"]
    assert {"text/html", "application/vnd.wpsr.html+json"} <= set(data)

"""Which Chromium the toolkit drives: the headless shell where there is one (the tests and the PDF),
the whole browser where it is asked for (Lighthouse), and $CHROMIUM above both."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpsr import browser


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Debian folder holding both Chromium's browser and its headless shell, and no other on the PATH."""
    for name in ("chromium", browser.HEADLESS_SHELL):
        (tmp_path / name).write_text("#!/bin/sh\n")
    monkeypatch.setattr(browser, "DEBIAN", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.delenv(browser.CHROMIUM_ENV, raising=False)
    return tmp_path


def test_the_headless_shell_is_driven_and_lighthouse_gets_the_browser(installed: Path) -> None:
    assert browser.find_chromium() == str(installed / browser.HEADLESS_SHELL)
    assert browser.find_chromium(full=True) == str(installed / "chromium")
    (installed / browser.HEADLESS_SHELL).unlink()
    assert browser.find_chromium() == str(installed / "chromium")


def test_a_chromium_named_by_the_environment_comes_first(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = installed / "my-chromium"
    own.write_text("#!/bin/sh\n")
    monkeypatch.setenv(browser.CHROMIUM_ENV, str(own))
    assert browser.find_chromium() == browser.find_chromium(full=True) == str(own)

"""Pandoc, run in its sandbox, and what the import and the export share: the error and the custom styles."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wpsr.template import TemplateError

PANDOC_SECONDS = 120
DROPPED_STYLES = {"Abstract Title", "Affiliations"}  # paragraphs of an export that are not the text
RECOMMENDATION_STYLE = "Recommendation"


class WordError(TemplateError):
    """A document `wpsr new --from` or `wpsr export` cannot take; the message says how to fix it."""


def _pandoc(arguments: list[str], shown: Path | str, data: bytes | None = None) -> bytes:
    """Run the pandoc that pypandoc-binary ships, in its sandbox; WordError if it fails."""
    import pypandoc

    command = [pypandoc.get_pandoc_path(), "--sandbox", *arguments]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PANDOC_SECONDS, check=False)
    except subprocess.TimeoutExpired as err:
        raise WordError(f"{shown}: pandoc took more than {PANDOC_SECONDS} s to convert it — split the document "
                        "or make it simpler (fewer, smaller images)") from err
    if done.returncode:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise WordError(f"{shown}: pandoc could not convert it ({said}) — open it in Word, save it again as a Word "
                        "Document (.docx) and retry")
    return done.stdout


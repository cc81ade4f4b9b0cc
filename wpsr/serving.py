"""Serve a built site as a static host does: compressed with gzip, so a preview weighs what
production weighs (``wpsr serve``, the browser tests and the Lighthouse benchmark use it)."""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".csv", ".txt", ".xml", ".md", ".ics", ".bib", ".ipynb"}


class CompressingHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the browser accepts it and the type compresses."""

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))  # confined to the site's folder
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # redirects to the folder's address with its slash
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.suffix in COMPRESSIBLE and path.is_file()):
            return super().send_head()
        body = _compressed(str(path), path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        return _Body(body)

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("WPSR_SERVE_LOG"):
            super().log_message(format, *args)


class _Body:
    """What send_head returns: a file-like object copyfile reads the response from."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        chunk, self.data = (self.data, b"") if size < 0 else (self.data[:size], self.data[size:])
        return chunk

    def close(self) -> None:
        pass


@functools.lru_cache(maxsize=512)
def _compressed(path: str, mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


def server(site: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(CompressingHandler, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """The site served on a free local port, in a thread, for as long as the block runs."""
    httpd = server(site)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()

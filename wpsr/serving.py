"""Serve a built site as a static host does: compressed with gzip, so a preview weighs what
production weighs (``wpsr serve``, the browser tests and the Lighthouse benchmark use it).

A preview (``wpsr serve --watch``) is served with a `Reloading`: each HTML page it sends gets the
preview's script (``wpsr/preview.js``, served at /_wpsr/preview.js, so the pages' policy allows
it), which asks /_wpsr/build.json for the last build and reloads the page when a build succeeds or
shows its problems when one fails. The files on disk are never changed."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".csv", ".txt", ".xml", ".md", ".ics", ".bib", ".ipynb"}


PREVIEW_SCRIPT = Path(__file__).with_name("preview.js")
PREVIEW_TAG = b'<script src="/_wpsr/preview.js" defer></script>'
WAIT = 20.0  # seconds a page's question waits for a new build before it is answered anyway


class Reloading:
    """The builds of a preview, as its open pages ask about them: the last one's number, and its
    problems if it failed."""

    def __init__(self) -> None:
        self.build, self.ok, self.problems = 0, True, []
        self._changed = threading.Condition()

    def built(self, problems: list[str]) -> None:
        """A build has finished (with these problems; none: it succeeded)."""
        with self._changed:
            self.build, self.ok, self.problems = self.build + 1, not problems, problems
            self._changed.notify_all()

    def state(self, after: int) -> bytes:
        """The last build, once it is later than `after` (or after `WAIT` seconds), as JSON."""
        with self._changed:
            self._changed.wait_for(lambda: self.build > after, timeout=WAIT)
            return json.dumps({"build": self.build, "ok": self.ok, "problems": self.problems}).encode()


class CompressingHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the browser accepts it and the type compresses; in a
    preview (`reloading`), each page with the preview's script."""

    reloading: Reloading | None = None

    def send_head(self):  # type: ignore[override]
        address = urlsplit(self.path)
        if self.reloading is not None and address.path.startswith("/_wpsr/"):
            return self._preview(address.path, parse_qs(address.query))
        path = Path(self.translate_path(self.path))  # confined to the site's folder
        if path.is_dir():
            if not address.path.endswith("/"):
                return super().send_head()  # redirects to the folder's address with its slash
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        preview = self.reloading is not None and path.suffix == ".html" and path.is_file()
        if not (preview or (accepts and path.suffix in COMPRESSIBLE and path.is_file())):
            return super().send_head()
        body = _compressed(str(path), path.stat().st_mtime_ns, preview=preview, gzipped=accepts)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if accepts:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        if preview:
            self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return _Body(body)

    def _preview(self, path: str, query: dict[str, list[str]]) -> _Body | None:
        """The preview's script, or the last build's state (a page asks, and waits for the next)."""
        if path == "/_wpsr/preview.js":
            body, kind = PREVIEW_SCRIPT.read_bytes(), "text/javascript"
        elif path == "/_wpsr/build.json":
            try:
                after = int(query.get("after", ["-1"])[0])
            except ValueError:
                after = -1
            body, kind = self.reloading.state(after), "application/json"
        else:
            self.send_error(404)
            return None
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
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
def _compressed(path: str, mtime_ns: int, *, preview: bool = False, gzipped: bool = True) -> bytes:
    """A file as sent: with the preview's script before ``</body>`` (a preview's page), compressed."""
    content = Path(path).read_bytes()
    if preview:
        head, closing, tail = content.rpartition(b"</body>")
        content = head + PREVIEW_TAG + closing + tail if closing else content + PREVIEW_TAG
    return gzip.compress(content, compresslevel=6, mtime=0) if gzipped else content


def server(site: Path, port: int = 0, reloading: Reloading | None = None) -> http.server.ThreadingHTTPServer:
    """A server of the site (a preview's, with its pages reloading after each build, given `reloading`)."""
    handler = type("Handler", (CompressingHandler,), {"reloading": reloading})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(site)))
    httpd.daemon_threads = True  # a page's waiting question never holds the server open
    return httpd


@contextmanager
def serving(site: Path, reloading: Reloading | None = None) -> Iterator[str]:
    """The site served on a free local port, in a thread, for as long as the block runs."""
    httpd = server(site, reloading=reloading)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()

"""modelpt writes its files through the project's one atomic write: configs and listed-model downloads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modelpt.model import Model
from modelpt.serialization import atomic_write_text
from nemo_testing.atomic_contract import check_atomic_writer

BODY = b"nemo archive bytes " * 1000


def test_atomic_write_text_keeps_the_contract(tmp_path: Path) -> None:
    check_atomic_writer(atomic_write_text, tmp_path, text=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cut = True  # send half the body, then drop the connection
    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY[: len(BODY) // 2] if type(self).cut else BODY)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"cut": True, "served": 0})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/models/m.nemo", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_an_interrupted_download_leaves_nothing_and_the_next_call_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: tuple[str, type[_Handler]]
) -> None:
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path))
    url, handler = server
    with pytest.raises(ValueError, match="after 3 attempts"):
        Model._download_listed(url, "desc", refresh_cache=False)
    assert handler.served == 3
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no partial file, no temp file
    handler.cut = False
    path = Path(Model._download_listed(url, "desc", refresh_cache=False))
    assert path.name == "m.nemo"
    assert path.read_bytes() == BODY
    assert [p.name for p in path.parent.iterdir()] == ["m.nemo"]
    handler.cut = True  # a refresh that fails keeps the cached copy
    with pytest.raises(ValueError, match="after 3 attempts"):
        Model._download_listed(url, "desc", refresh_cache=True)
    assert path.read_bytes() == BODY

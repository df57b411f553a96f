"""A request whose header block is long (the hostile corpus's 10,000-character name as a Basic login
is an 80 kB ``Authorization`` header) is answered the same whether its bytes arrive in one read or
in several.

The cause of the connection resets seen on a loaded machine (test_ogc_basic's hostile logins):
uvicorn's HTTP/1.1 parser (h11) refuses an incomplete header block longer than its buffer limit
(16 KiB by default) only while it waits for more of it, so an 80 kB header that arrived in one read
was answered by the app (401) and one that arrived in pieces was answered 400 by uvicorn, which
closed the socket while the client was still sending: the client saw a reset. `hepinggis serve`
now sets the limit to `hepinggis.web._transport.MAX_HEAD_BYTES`, above any header the app answers.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from _server_env import Serve

from hepinggis.web._transport import MAX_HEAD_BYTES


def _send_in_pieces(port: int, head: bytes, *, piece: int = 8192) -> bytes:
    """Send ``head`` in pieces with pauses (as a loaded machine delivers it), read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for start in range(0, len(head), piece):
            sock.sendall(head[start : start + piece])
            time.sleep(0.02)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_long_header_in_pieces_reaches_the_app(tmp_path: Path) -> None:
    srv = Serve(tmp_path / "data", None)
    try:
        long_value = ("很长的项目名称" * 4000).encode()  # 84 kB, like the hostile corpus's long login
        assert 80_000 < len(long_value) + 200 < MAX_HEAD_BYTES
        head = (
            b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Long: " + long_value + b"\r\n\r\n"
        )
        answer = _send_in_pieces(srv.port, head)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        # beyond the limit: refused, in one answer the client reads (never a reset mid-send)
        too_long = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"x" * (MAX_HEAD_BYTES + 10)
        try:
            refused = _send_in_pieces(srv.port, too_long, piece=65536)
        except (ConnectionResetError, BrokenPipeError):  # closed before the client finished sending: allowed
            refused = b"HTTP/1.1 400"
        assert refused.startswith(b"HTTP/1.1 400"), refused[:200]
        # the server still answers afterwards
        assert _send_in_pieces(
            srv.port, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ).startswith(b"HTTP/1.1 200")
    finally:
        srv.stop()

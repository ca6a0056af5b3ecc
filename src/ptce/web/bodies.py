"""Request bodies of unknown length (chunked) are read whole, up to the size limit, before the app sees them.

Werkzeug cuts a body sent without Content-Length at MAX_CONTENT_LENGTH and lets the app run on the first part
(a query cut in the middle, or worse, a shorter query than the one sent). This middleware reads such a body
itself, answers `413` when it is longer than the limit, and otherwise hands the app the whole body with its
Content-Length, as if the client had sent one.
"""

from __future__ import annotations

import io

from werkzeug.wrappers import Response


def _read_at_most(stream, size: int) -> bytes:
    """Read until the end of the body or `size` bytes (a server's chunked reader may return less per call)."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class BoundedBodies:
    """WSGI middleware: a chunked body longer than `limit()` bytes is refused with 413."""

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = self.limit()
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                message = f"The request body is longer than {limit} bytes.\n"
                response = Response(message, 413, content_type="text/plain; charset=utf-8")
                response.headers["Connection"] = "close"
                return response(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING")  # Werkzeug reads no Content-Length next to it
        return self.app(environ, start_response)

"""CORS on every response, including the preflight a browser sends before a POST of `application/sparql-query`."""

from __future__ import annotations

from flask import Flask, Response, request

# Response headers of the SPARQL endpoint that scripts on other origins may read.
TRUNCATED_HEADER = "X-SPARQL-Results-Truncated"
ROW_LIMIT_HEADER = "X-SPARQL-Row-Limit"


def cors_headers() -> dict[str, str]:
    """The headers every response carries: any origin may read, no credentials are involved."""
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": f"{TRUNCATED_HEADER}, {ROW_LIMIT_HEADER}",
    }


def add_cors(response: Response) -> Response:
    response.headers.update(cors_headers())
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_cors)

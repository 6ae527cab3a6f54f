"""AWS Lambda entry point: `backend.lambda_handler.handler` (built by backend/lambda_app.py).

Importing this module is Lambda's init phase, billed and timed as cold start. It runs with
Python's cyclic garbage collector paused: the import of botocore, Starlette and Parley makes
some 65,000 long-lived objects, and the collector would walk the growing heap ~90 times while
they are made (about a tenth of the init's CPU, bench/RESULTS.md), to free next to nothing:
modules, classes and the client are kept for the sandbox's life. At the end, what init made
is moved out of the collector's sight (`gc.freeze`), so that neither the first request nor
any later full collection walks it again, and the collector runs as usual from then on. The
price: a reference cycle that init made and dropped is never freed (bounded: once a sandbox).
"""

from __future__ import annotations

import gc
import os

gc.disable()
try:
    from backend.lambda_app import (
        SECRET_PARAM_VAR,
        ConfigError,
        build_handler,
        resolve_environment,
    )

    handler = build_handler(os.environ)
finally:
    gc.freeze()
    gc.enable()

__all__ = ["SECRET_PARAM_VAR", "ConfigError", "build_handler", "handler", "resolve_environment"]

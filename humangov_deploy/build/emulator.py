"""An AWS emulator embedded in this process: moto's server on a free loopback port.

Used by `humangov dev` and by tests that need real HTTP to "AWS". The local platform runs the same
server as a container instead, because its stack outlives the CLI process.

moto's server logs one line per AWS call through werkzeug's logger, which writes to stderr unless it has a
handler: with `request_log` the lines go to that file instead (`humangov dev` shows the app's lines only).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any

from humangov_deploy.errors import ConfigError


class EmbeddedAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, request_log: Path | None = None) -> None:
        self.host, self.port = host, port
        self.request_log = request_log
        self._server: Any = None  # moto.server.ThreadedMotoServer, imported lazily
        self._log_handler: logging.Handler | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise ConfigError("the embedded AWS emulator is not running")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedAws:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # moto without its [server] extra lacks flask/werkzeug
            raise ConfigError(
                "the embedded AWS emulator needs moto[server]: pip install 'moto[server]'"
            ) from exc
        if self.request_log is not None:
            self._log_requests_to(self.request_log)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._log_handler is not None:
            logger = logging.getLogger("werkzeug")
            logger.removeHandler(self._log_handler)
            logger.propagate = True
            self._log_handler.close()
            self._log_handler = None

    def _log_requests_to(self, path: Path) -> None:
        # werkzeug adds its own stderr handler only while its logger has none at INFO (werkzeug's _log).
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setLevel(logging.INFO)
        logger = logging.getLogger("werkzeug")
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False  # not also to a root handler someone configured
        self._log_handler = handler

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

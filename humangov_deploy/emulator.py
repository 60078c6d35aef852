"""An AWS emulator embedded in this process: moto's server on a free loopback port.

Used by `humangov dev` and by tests that need real HTTP to "AWS". The local platform runs the same
server as a container instead, because its stack outlives the CLI process.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from humangov_deploy.errors import ConfigError


class EmbeddedAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: Any = None  # moto.server.ThreadedMotoServer, imported lazily

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
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

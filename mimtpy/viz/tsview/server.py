"""The Bokeh server of the viewer, embedded in this process and listening on 127.0.0.1 only.

BokehJS is served by this server (``/static/``), so the page needs no internet access; the exports
folder is served under ``/exports/``. :meth:`ViewerServer.serve` blocks until interrupted (the script
and the App); :meth:`ViewerServer.start` runs the server in a background thread (tests, notebooks) and
:meth:`ViewerServer.stop` ends it and waits for the thread.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from mimtpy.errors import InputError
from mimtpy.viz.tsview.page import EXPORT_URL, make_document
from mimtpy.viz.tsview.viewer import Viewer

logger = logging.getLogger(__name__)

ADDRESS = "127.0.0.1"


def free_port() -> int:
    """A port of 127.0.0.1 that is free now (the websocket origins must name the port before the server binds)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((ADDRESS, 0))
        return int(sock.getsockname()[1])


class ViewerServer:
    """A Bokeh server of one :class:`~mimtpy.viz.tsview.viewer.Viewer` on ``127.0.0.1:port`` (0 = a free port).

    Websocket connections are accepted from pages of ``127.0.0.1:port`` and ``localhost:port`` only (so an ssh
    tunnel keeps the same port number on both ends)."""

    def __init__(self, viewer: Viewer, port: int = 5006):
        self.viewer = viewer
        self.requested_port = int(port)
        self._server = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _make_server(self):
        from bokeh.application import Application
        from bokeh.application.handlers.function import FunctionHandler
        from bokeh.server.server import Server
        from tornado.web import StaticFileHandler

        export_dir = self.viewer.settings.export_dir
        export_dir.mkdir(parents=True, exist_ok=True)
        app = Application(FunctionHandler(make_document(self.viewer)))
        port = self.requested_port or free_port()
        try:
            server = Server({"/": app}, address=ADDRESS, port=port, num_procs=1,
                            allow_websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
                            extra_patterns=[(rf"{EXPORT_URL}/(.*)", StaticFileHandler, {"path": str(export_dir)})])
        except OSError as err:
            raise InputError(f"tsview: cannot listen on {ADDRESS}:{self.requested_port}: {err.strerror or err} "
                             "(choose another port with --port, or 0 for a free one)") from None
        return server

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the viewer server is not running")
        return int(self._server.port)

    @property
    def url(self) -> str:
        return f"http://{ADDRESS}:{self.port}/"

    def serve(self, ready=None) -> None:
        """Run in this thread until Ctrl-C (or :meth:`stop` from another thread); ``ready(url)`` is called
        once the server listens."""
        self._server = self._make_server()
        self._server.start()
        logger.info("tsview serving on %s (Ctrl-C to stop)", self.url)
        if ready is not None:
            self._server.io_loop.add_callback(ready, self.url)
        loop = self._server.io_loop
        handled = []
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):      # Ctrl-C and kill end the loop cleanly
                loop.asyncio_loop.add_signal_handler(signum, loop.stop)
                handled.append(signum)
        try:
            loop.start()
            logger.info("tsview stopped")
        except KeyboardInterrupt:
            logger.info("tsview stopped")
        finally:
            for signum in handled:
                loop.asyncio_loop.remove_signal_handler(signum)
            self._shutdown()

    def _shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            server.io_loop.close(all_fds=False)

    def start(self, timeout: float = 60.0) -> str:
        """Run the server in a background thread; returns its URL once it listens."""
        def target() -> None:
            asyncio.set_event_loop(asyncio.new_event_loop())
            try:
                self._server = self._make_server()
                self._server.start()
            except BaseException as err:
                self._error = err
                self._ready.set()
                return
            self._ready.set()
            try:
                self._server.io_loop.start()
            finally:
                server, self._server = self._server, None
                server.stop()
                server.io_loop.close(all_fds=False)

        self._thread = threading.Thread(target=target, name="tsview-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the viewer server did not start")
        if self._error is not None:
            raise self._error
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Stop a server started with :meth:`start` (or :meth:`serve` from another thread) and wait for it."""
        server = self._server
        if server is not None:
            server.io_loop.add_callback(server.io_loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError("the viewer server thread did not stop")
            self._thread = None

"""Start a real nginx on 127.0.0.1 (free port, private prefix) serving a directory with a given include.

Usage::

    with NginxServer(site_dir, include_text, error_page="/404.html") as srv:
        status, headers, body = srv.get("/privacy/")

``include`` goes into ``server {}``; ``http_include`` (the text of ``nginx-maps.conf``, the Memento
maps) into ``http {}``.  Without ``http_include``, the ``nginx-maps.conf`` that ``finalize_site``
writes by default beside the site (``<root>-deploy/``) is used when it exists, so a site is
served as the README tells a deployer to: both files.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_TYPES = """
types {
    text/html html htm;
    text/css css;
    application/javascript js mjs;
    application/json json map;
    application/xml xml;
    application/gzip gz;
    font/woff2 woff2;
    image/png png;
    image/svg+xml svg;
    application/pdf pdf;
    text/plain txt;
}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class NginxServer:
    """A foreground nginx (``daemon off``) owned by this object; stopped on exit."""

    def __init__(self, root: str | os.PathLike[str], include: str, error_page: str | None = "/404.html",
                 http_include: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.include = include
        if http_include is None:
            beside = Path(root).with_name(Path(root).name + "-deploy") / "nginx-maps.conf"
            http_include = beside.read_text(encoding="utf-8") if beside.is_file() else ""
        self.http_include = http_include
        self.error_page = error_page
        self.prefix = Path(tempfile.mkdtemp(prefix="policykit-nginx-"))
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        p = self.prefix
        user = "user root;\n" if os.geteuid() == 0 else ""
        error_page = f"        error_page 404 {self.error_page};\n" if self.error_page else ""
        temps = "".join(f"    {name}_temp_path {nginx_quote(str(p / 'tmp' / name))};\n"
                        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return (
            f"{user}daemon off;\nworker_processes 1;\npid {nginx_quote(str(p / 'nginx.pid'))};\n"
            f"error_log {nginx_quote(str(p / 'error.log'))} warn;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"{_TYPES}    default_type application/octet-stream;\n"
            f"    access_log {nginx_quote(str(p / 'access.log'))};\n{temps}"
            f"    include {nginx_quote(str(p / 'http.conf'))};\n"
            "    server {\n"
            f"        listen 127.0.0.1:{self.port};\n"
            "        server_name localhost;\n"
            f"        root {nginx_quote(str(self.root))};\n"
            "        index index.html;\n"
            f"{error_page}"
            f"        include {nginx_quote(str(p / 'site.conf'))};\n"
            "    }\n}\n"
        )

    def start(self) -> NginxServer:
        (self.prefix / "tmp").mkdir(exist_ok=True)
        (self.prefix / "site.conf").write_text(self.include, encoding="utf-8")
        (self.prefix / "http.conf").write_text(self.http_include, encoding="utf-8")
        last_error = ""
        for _ in range(5):
            self.port = free_port()
            conf = self.prefix / "nginx.conf"
            conf.write_text(self.config(), encoding="utf-8")
            test = subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                                   "-c", str(conf)], capture_output=True, text=True)
            if test.returncode != 0:
                raise RuntimeError(f"nginx rejected the configuration:\n{test.stderr}\n{conf.read_text()}")
            self.proc = subprocess.Popen([NGINX, "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                                          "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return self
                except OSError:
                    time.sleep(0.05)
            last_error = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else "timeout"
            self.stop()
        raise RuntimeError(f"nginx did not start: {last_error}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def get(self, path: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
        """Send one request; ``path`` must already be percent-encoded as on the wire."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

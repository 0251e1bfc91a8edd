"""A small forwarding proxy on the host's end of the admin link: the booted machine has no route
out of its network namespace, so apt (plain HTTP requests) and pip/uv (CONNECT tunnels for
HTTPS) reach the package mirrors through the host, as the host itself reaches them. Only ports
80 and 443 are forwarded."""

from __future__ import annotations

import select
import socket
import socketserver
import threading

ALLOWED_PORTS = {80, 443}


def _relay(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    while True:
        readable, _, broken = select.select(sockets, [], sockets, 120)
        if broken or not readable:
            return
        for s in readable:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.connection.recv(65536)
            if not chunk:
                return
            head += chunk
            if len(head) > 65536:
                return
        first, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = first.decode("latin-1").split(" ", 2)
        except ValueError:
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            body = rest.partition(b"\r\n\r\n")[2]
        else:
            if not target.startswith("http://"):
                self.connection.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            hostport, _, path = target[len("http://"):].partition("/")
            host, _, port = hostport.partition(":")
            port = port or "80"
            body = None
        if not port.isdigit() or int(port) not in ALLOWED_PORTS:
            self.connection.sendall(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except OSError:
            self.connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
            return
        with upstream:
            upstream.settimeout(None)
            if body is not None:
                self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if body:
                    upstream.sendall(body)
            else:
                upstream.sendall(f"{method} /{path} {version}\r\n".encode("latin-1") + rest)
            try:
                _relay(self.connection, upstream)
            except OSError:
                pass  # either side hung up


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Proxy:
    def __init__(self, address: str, port: int = 3128) -> None:
        self.server = _Server((address, port), _Handler)
        self.url = f"http://{address}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

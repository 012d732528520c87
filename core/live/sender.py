"""Frames out as UDP datagrams (core/live/datagram.py) to `udp://HOST:PORT`."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from core.errors import BadInput

DEFAULT_URL = "udp://127.0.0.1:9870"


def parse_udp_url(url: str) -> tuple[str, int]:
    """(host, port) of `udp://HOST:PORT`; BadInput for anything else."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "udp" or not parts.hostname or port is None or port == 0:
        raise BadInput(f"--send takes udp://HOST:PORT (e.g. {DEFAULT_URL}), got {url!r}")
    return parts.hostname, port


class UdpSender:
    def __init__(self, url: str) -> None:
        host, port = parse_udp_url(url)
        try:
            address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        except socket.gaierror as err:
            raise BadInput(f"cannot resolve {host!r} for --send: {err.strerror}") from err
        family, kind, proto, _, destination = address
        self.address: tuple[str, int] = (str(destination[0]), int(destination[1]))
        self.socket = socket.socket(family, kind, proto)
        self.url = url
        self.sent = 0
        self.refused = 0  # nobody listening yet: the datagram is lost, the show goes on

    def send(self, data: bytes) -> None:
        try:
            self.socket.sendto(data, self.address)
            self.sent += 1
        except ConnectionRefusedError:
            self.refused += 1
        except OSError as err:
            raise BadInput(f"cannot send to {self.url}: {err.strerror or err}") from err

    def close(self) -> None:
        self.socket.close()

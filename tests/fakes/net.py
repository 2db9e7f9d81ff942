"""Loopback ports for fake servers and for "the server is down" tests."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now.

    Nothing will answer on it until someone binds it, so it also serves as a
    closed port: connecting to it is refused at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


closed_port = free_port

"""No network, ever: the whole demo (generate, write, import, stratify, PDF) runs with sockets forbidden."""

from __future__ import annotations

import socket

import pytest

from dhdesk.services import demo


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_sockets(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def guard(*args, **kwargs):
            attempts.append(f"{name}{args[:2]}")
            raise NetworkUsed(f"network access attempted: {name}")

        return guard

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_demo_opens_no_socket(tmp_path, no_sockets):
    result = demo.build_demo(tmp_path, members=200, seed=7)
    assert result.workspace_path.exists()
    assert any(p.suffix == ".pdf" for p in result.outputs)
    assert no_sockets == []

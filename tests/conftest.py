"""Shared fixtures: a real emulator on loopback and clients pointed at it."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import pytest
from PIL import Image

from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import RetryPolicy, WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer, start

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, total_time=5.0)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def control(emulator: EmulatorServer) -> EmulatorControl:
    return EmulatorControl(emulator.base_url)


@pytest.fixture
def client(emulator: EmulatorServer) -> WeChatClient:
    return WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url, retry=FAST_RETRY)


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 16), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()

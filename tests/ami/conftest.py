"""Fixtures shared by the AMI tests."""

from __future__ import annotations

import pytest

from .fake_ami import FakeAMI


@pytest.fixture
async def fake():
    """A fake AMI server on a free loopback port (tests/ami/fake_ami.py)."""
    server = FakeAMI()
    await server.start()
    yield server
    await server.close()

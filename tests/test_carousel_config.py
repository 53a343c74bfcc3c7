"""CarouselConfig: built from a TOML-like mapping; bad values fail with the section and key."""

from __future__ import annotations

import dataclasses

import pytest

from drivers.carousel import CarouselConfig, carousel_config
from drivers.errors import DriverConfigError


def test_defaults_follow_the_spec():
    config = carousel_config({})
    assert (config.transport, config.port, config.device_id, config.baudrate) == ("tcp", 502, 1, 115200)
    assert config.heartbeat_stall == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.port = 5020  # type: ignore[misc]


def test_an_rtu_config():
    config = carousel_config({"transport": "rtu", "serial_path": "/dev/ttyUSB0", "baudrate": 115200})
    assert (config.transport, config.serial_path) == ("rtu", "/dev/ttyUSB0")


@pytest.mark.parametrize(("values", "message"), [
    ({"prot": 502}, "unknown key"),
    ({"port": "502"}, "port must be int"),
    ({"port": True}, "not a boolean"),
    ({"port": 0}, "port = 0 is out of range"),
    ({"transport": "udp"}, "transport"),
    ({"transport": "rtu"}, "serial_path is required"),
    ({"device_id": 248}, "device_id"),
    ({"heartbeat_stall": 0.0}, "heartbeat_stall"),
    ({"write_attempts": 0}, "write_attempts"),
])
def test_bad_values_name_the_section_and_the_key(values, message):
    with pytest.raises(DriverConfigError) as caught:
        carousel_config(values, section="machine.carousel")
    assert "[machine.carousel]" in str(caught.value) and message in str(caught.value)


def test_floats_accept_integers():
    assert carousel_config({"request_timeout": 2}).request_timeout == 2
    assert isinstance(CarouselConfig(), CarouselConfig)

"""The carousel PLC driver (hardware/carousel-plc.md): Modbus TCP or RTU, SEQ handshake, one poller."""

from drivers.carousel.codec import CarouselStatus, Lamps, Sensors
from drivers.carousel.config import CarouselConfig, ExpectedGeometry, carousel_config
from drivers.carousel.driver import Carousel
from drivers.carousel.errors import (
    CarouselJammed,
    CarouselRejected,
    CommandLost,
    ModbusExceptionResponse,
    RegisterMapError,
)
from drivers.carousel.events import (
    CarouselEvent,
    ConnectionLost,
    ConnectionRestored,
    FaultLatched,
    HeartbeatResumed,
    HeartbeatStalled,
    PlcRebooted,
    SensorsChanged,
    StateChanged,
)
from drivers.carousel.geometry import Geometry, Timing
from drivers.carousel.outcome import CommandFate, CommandOutcome, CommandRecord
from drivers.carousel.registers import Command, FaultCode, Lamp, Result, State

__all__ = [
    "Carousel",
    "CarouselConfig",
    "CarouselEvent",
    "CarouselJammed",
    "CarouselRejected",
    "CarouselStatus",
    "Command",
    "CommandFate",
    "CommandLost",
    "CommandOutcome",
    "CommandRecord",
    "ExpectedGeometry",
    "ConnectionLost",
    "ConnectionRestored",
    "FaultCode",
    "FaultLatched",
    "Geometry",
    "HeartbeatResumed",
    "HeartbeatStalled",
    "Lamp",
    "Lamps",
    "ModbusExceptionResponse",
    "PlcRebooted",
    "RegisterMapError",
    "Result",
    "Sensors",
    "SensorsChanged",
    "State",
    "StateChanged",
    "Timing",
    "carousel_config",
]

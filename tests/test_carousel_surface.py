"""The exported surface of drivers.carousel and sim.plc is exactly what is intended."""

from __future__ import annotations

import drivers.carousel as carousel
import sim.plc as plc

CAROUSEL_API = {
    # the driver, its config and its typed values
    "Carousel", "CarouselConfig", "carousel_config", "CarouselStatus", "Sensors", "Lamps",
    "Geometry", "Timing", "ExpectedGeometry", "CommandOutcome", "CommandRecord", "CommandFate",
    # codes
    "Command", "Result", "State", "FaultCode", "Lamp",
    # events
    "CarouselEvent", "PlcRebooted", "HeartbeatStalled", "HeartbeatResumed", "StateChanged",
    "FaultLatched", "SensorsChanged", "ConnectionLost", "ConnectionRestored",
    # errors
    "CarouselRejected", "CarouselJammed", "CommandLost", "ModbusExceptionResponse",
    "RegisterMapError",
}


def test_drivers_carousel_exports_exactly_its_public_api():
    assert set(carousel.__all__) == CAROUSEL_API
    assert len(carousel.__all__) == len(CAROUSEL_API)
    for name in carousel.__all__:
        assert getattr(carousel, name) is not None, name


def test_public_names_in_the_package_namespace_are_all_exported():
    public = {name for name in vars(carousel) if not name.startswith("_")}
    modules = {"codec", "config", "driver", "errors", "events", "geometry", "monitor", "modbus",
               "outcome", "poller", "registers"}
    assert public - modules == CAROUSEL_API


def test_errors_belong_to_the_driver_exception_tree():
    from drivers.errors import CommandRejected, DeviceFault, DeviceUnavailable, ProtocolError

    assert issubclass(carousel.CarouselRejected, CommandRejected)
    assert issubclass(carousel.CarouselJammed, DeviceFault)
    assert issubclass(carousel.CommandLost, DeviceUnavailable)
    assert issubclass(carousel.ModbusExceptionResponse, ProtocolError)
    assert issubclass(carousel.RegisterMapError, ProtocolError)


def test_sim_plc_exports_only_plcsim():
    assert plc.__all__ == ["PlcSim"]


def test_only_the_adapter_imports_pymodbus_on_the_driver_side():
    import pathlib

    package = pathlib.Path(carousel.__file__).parent
    importers = sorted(p.name for p in package.glob("*.py") if "pymodbus" in p.read_text())
    assert importers == ["modbus.py"]

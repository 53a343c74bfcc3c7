"""The simulated carousel PLC (hardware/carousel-plc.md) over Modbus TCP and RTU."""

from sim.plc.plc import PlcSim

__all__ = ["PlcSim"]

"""One exception tree for every device driver."""


class DriverError(Exception):
    """Base of every error a driver raises."""


class DriverConfigError(DriverError, ValueError):
    """Config for a driver is invalid: the controller refuses to start."""


class ProtocolError(DriverError):
    """The device sent something that does not follow its protocol."""


class DeviceTimeout(DriverError):
    """The device did not answer in time."""


class DeviceUnavailable(DriverError):
    """The device or its transport cannot be reached (port gone, socket refused)."""


class CommandRejected(DriverError):
    """The device refused a request it understood (a bad request, not a fault)."""


class DeviceFault(DriverError):
    """The device reports a hardware fault: the machine needs a technician."""

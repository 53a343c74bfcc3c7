"""The register map and codes against the tables of hardware/carousel-plc.md (transcribed here)."""

from __future__ import annotations

from drivers.carousel.registers import (
    ACCEPTED_IN,
    COMMAND_RESULTS,
    CYCLE_COMMANDS,
    DOOR_SENSITIVE,
    FW_VERSION_1_0,
    JAMMABLE,
    REJECTION_ORDER,
    SLOT_ARGUMENTS,
    Command,
    DiscreteInput,
    FaultCode,
    HoldingRegister,
    InputRegister,
    Lamp,
    Result,
    State,
)

SPEC_HOLDING = "0 CMD · 1 ARG1 · 2 ARG2 · 3 SEQ"
SPEC_INPUT = ("0 STATE · 1 ACK_SEQ · 2 DONE_SEQ · 3 RESULT · 4 FAULT_CODE · 5 LEVEL · "
              "6 POSITION · 7 LEVELS · 8 POSITIONS · 9 PICKUP_LEVEL · 10 RETURN_LEVEL · 11 FW_VERSION · "
              "12 BOOT_ID · 13 HEARTBEAT · 14 REJECT_SEQ · 15 REJECT_CODE · 16 CYCLES_LO · "
              "17 CYCLES_HI")
SPEC_DISCRETE = ("0 PICKUP_DOOR_CLOSED · 1 PICKUP_ITEM_PRESENT · 2 RETURN_SHUTTER_CLOSED · "
                 "3 RETURN_ITEM_PRESENT · 4 SERVICE_DOOR_CLOSED · 5 ESTOP_RELEASED · "
                 "6 OVERFLOW_BIN_FULL · 7 PICKER_LOADED · 8 PICKUP_CURTAIN_CLEAR · "
                 "9 RETURN_CURTAIN_CLEAR")
SPEC_COILS = "0 FAULT_BEACON · 1 PICKUP_LAMP · 2 RETURN_LAMP"
SPEC_STATES = "0 NOT_HOMED · 1 IDLE · 2 BUSY · 3 FAULT · 4 INTERLOCK"
SPEC_COMMANDS = ("1 HOME · 2 FETCH · 3 STORE · 4 RETRACT · 5 PRESENT · 6 OPEN_PICKUP · "
                 "7 CLOSE_PICKUP · 8 OPEN_RETURN · 9 CLOSE_RETURN · 10 EJECT_RETURN · "
                 "11 DIVERT_RETURN · 12 TRANSFER · 13 RESET_FAULT")
SPEC_RESULTS = ("0 OK · 1 SLOT_EMPTY · 2 SLOT_OCCUPIED · 3 PORT_EMPTY · 4 PORT_OCCUPIED · "
                "5 DOOR_BLOCKED · 6 JAM · 7 TIMEOUT · 8 INVALID_ARGUMENT · 9 NOT_HOMED · "
                "10 INTERLOCK · 11 BUSY · 12 UNKNOWN_COMMAND · 13 BIN_FULL · 14 DOOR_OPEN")
SPEC_FAULTS = ("1 DRUM_JAM · 2 LIFT_JAM · 3 PICKER_JAM · 4 DRIVE_OVERTEMP · 5 ENCODER · "
               "6 ESTOP · 7 UNDERVOLTAGE")
# The command table's "results besides OK" column.
SPEC_COMMAND_RESULTS = {
    "HOME": "JAM", "FETCH": "SLOT_EMPTY PORT_OCCUPIED JAM", "STORE": "PORT_EMPTY SLOT_OCCUPIED JAM",
    "RETRACT": "PORT_EMPTY SLOT_OCCUPIED JAM", "PRESENT": "JAM", "OPEN_PICKUP": "",
    "CLOSE_PICKUP": "DOOR_BLOCKED", "OPEN_RETURN": "", "CLOSE_RETURN": "DOOR_BLOCKED",
    "EJECT_RETURN": "PORT_EMPTY", "DIVERT_RETURN": "PORT_EMPTY BIN_FULL",
    "TRANSFER": "SLOT_EMPTY SLOT_OCCUPIED JAM", "RESET_FAULT": "",
}


def table(text: str) -> dict[str, int]:
    return {name: int(code) for code, name in (entry.split() for entry in text.split(" · "))}


def members(enum: type) -> dict[str, int]:
    return {member.name: int(member) for member in enum}


def test_every_table_matches_the_spec():
    assert members(HoldingRegister) == table(SPEC_HOLDING)
    assert members(InputRegister) == table(SPEC_INPUT)
    assert members(DiscreteInput) == table(SPEC_DISCRETE)
    assert members(Lamp) == table(SPEC_COILS)
    assert members(State) == table(SPEC_STATES)
    assert members(Command) == table(SPEC_COMMANDS)
    assert members(Result) == table(SPEC_RESULTS)
    assert members(FaultCode) == table(SPEC_FAULTS)
    assert FW_VERSION_1_0 == 0x0100


def test_command_results_match_the_command_table():
    assert {c.name: {r.name for r in results} for c, results in COMMAND_RESULTS.items()} == {
        name: set(results.split()) for name, results in SPEC_COMMAND_RESULTS.items()}
    assert JAMMABLE == {Command.HOME, Command.FETCH, Command.STORE, Command.RETRACT,
                        Command.PRESENT, Command.TRANSFER}


def test_rejections_are_checked_in_the_spec_order():
    assert [r.name for r in REJECTION_ORDER] == [
        "UNKNOWN_COMMAND", "INVALID_ARGUMENT", "BUSY", "NOT_HOMED", "INTERLOCK", "DOOR_OPEN"]


def test_which_states_accept_which_commands():
    doors = {Command.OPEN_PICKUP, Command.CLOSE_PICKUP, Command.OPEN_RETURN, Command.CLOSE_RETURN}
    for command in Command:
        if command is Command.HOME or command in doors:
            expected = {State.NOT_HOMED, State.IDLE}
        elif command is Command.RESET_FAULT:
            expected = {State.FAULT}
        else:
            expected = {State.IDLE}
        assert ACCEPTED_IN[command] == expected, command


def test_slot_arguments_and_door_sensitive_motions():
    assert SLOT_ARGUMENTS == {Command.FETCH: 1, Command.STORE: 1, Command.RETRACT: 1,
                              Command.PRESENT: 1, Command.TRANSFER: 2}
    assert DOOR_SENSITIVE == {Command.FETCH, Command.STORE, Command.RETRACT, Command.PRESENT,
                              Command.TRANSFER}
    assert Command.RESET_FAULT not in CYCLE_COMMANDS and Command.OPEN_PICKUP not in CYCLE_COMMANDS
    assert Command.FETCH in CYCLE_COMMANDS and Command.EJECT_RETURN in CYCLE_COMMANDS

"""The pure register codec: round-trips, word and bit order, SEQ arithmetic, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.carousel.codec import (
    INPUT_REGISTER_COUNT,
    CarouselStatus,
    Lamps,
    Sensors,
    decode_status,
    encode_command,
    encode_input_registers,
    next_seq,
)
from drivers.carousel.errors import RegisterMapError
from drivers.carousel.geometry import Geometry
from drivers.carousel.registers import Command, FaultCode, InputRegister, Result, State
from drivers.errors import ProtocolError

EXAMPLES = settings(max_examples=150, deadline=None)
WORD = st.integers(0, 0xFFFF)
SEQ = st.integers(1, 0xFFFF)


@st.composite
def statuses(draw) -> CarouselStatus:
    levels = draw(st.integers(1, 64))
    positions = draw(st.integers(1, 1000))
    geometry = Geometry(levels=levels, positions=positions,
                        pickup_level=draw(st.integers(0, levels - 1)),
                        return_level=draw(st.integers(0, levels - 1)))
    return CarouselStatus(
        state=draw(st.sampled_from(State)), ack_seq=draw(WORD), done_seq=draw(WORD),
        result=draw(st.sampled_from(Result)), fault=draw(st.none() | st.sampled_from(FaultCode)),
        level=draw(st.integers(0, levels - 1)), position=draw(st.integers(0, positions - 1)),
        geometry=geometry, firmware=draw(WORD), boot_id=draw(st.integers(1, 0xFFFF)),
        heartbeat=draw(WORD), reject_seq=draw(WORD), reject_code=draw(st.sampled_from(Result)),
        cycles=draw(st.integers(0, 0xFFFFFFFF)),
        sensors=Sensors(*draw(st.lists(st.booleans(), min_size=10, max_size=10))),
        lamps=Lamps(*draw(st.lists(st.booleans(), min_size=3, max_size=3))))


@EXAMPLES
@given(statuses())
def test_status_round_trips(status):
    words = encode_input_registers(status)
    assert len(words) == INPUT_REGISTER_COUNT and all(0 <= w <= 0xFFFF for w in words)
    assert decode_status(words, status.sensors.to_bits(), status.lamps.to_bits()) == status


@EXAMPLES
@given(st.lists(st.integers(-5, 0x1FFFF), max_size=25), st.lists(st.booleans(), max_size=20),
       st.lists(st.booleans(), max_size=6))
def test_random_registers_decode_or_raise_only_register_map_error(words, sensors, lamps):
    try:
        status = decode_status(words, sensors, lamps)
    except RegisterMapError:
        return
    assert encode_input_registers(status) == words  # what decodes is exactly what was read


@EXAMPLES
@given(statuses(), st.integers(0, INPUT_REGISTER_COUNT - 1), st.integers(0, 0xFFFF))
def test_one_corrupted_register_decodes_exactly_or_raises_register_map_error(status, index, value):
    words = encode_input_registers(status)
    words[index] = value
    try:
        decoded = decode_status(words, status.sensors.to_bits(), status.lamps.to_bits())
    except RegisterMapError:
        return
    assert encode_input_registers(decoded) == words


def test_cycles_are_low_word_first():
    status = _status(cycles=0x0001_0002)
    words = encode_input_registers(status)
    assert (words[InputRegister.CYCLES_LO], words[InputRegister.CYCLES_HI]) == (0x0002, 0x0001)


def test_sensor_and_lamp_bits_are_in_address_order():
    sensors = Sensors.from_bits([False, True] + [False] * 8)
    assert sensors.pickup_item_present and not sensors.pickup_door_closed
    assert Sensors.from_bits([False] * 9 + [True]).return_curtain_clear
    lamps = Lamps.from_bits([False, False, True, True, True])  # padding beyond 3 is ignored
    assert (lamps.fault_beacon, lamps.pickup_lamp, lamps.return_lamp) == (False, False, True)
    assert sensors.to_bits() == [False, True] + [False] * 8


@pytest.mark.parametrize(("register", "value"), [
    (InputRegister.STATE, 5), (InputRegister.RESULT, 15), (InputRegister.REJECT_CODE, 99),
    (InputRegister.FAULT_CODE, 8), (InputRegister.BOOT_ID, 0), (InputRegister.LEVEL, 10),
    (InputRegister.POSITION, 100), (InputRegister.LEVELS, 0), (InputRegister.PICKUP_LEVEL, 10),
])
def test_values_off_the_map_are_errors_never_guesses(register, value):
    words = encode_input_registers(_status())
    words[register] = value
    with pytest.raises(RegisterMapError) as caught:
        decode_status(words, [True] * 10, [False] * 3)
    assert isinstance(caught.value, ProtocolError)


def test_short_reads_are_errors():
    words = encode_input_registers(_status())
    with pytest.raises(RegisterMapError):
        decode_status(words[:-1], [True] * 10, [False] * 3)
    with pytest.raises(RegisterMapError):
        decode_status(words, [True] * 9, [False] * 3)
    with pytest.raises(RegisterMapError):
        decode_status(words, [True] * 10, [False] * 2)


def test_command_words_are_cmd_arg1_arg2_seq():
    assert encode_command(Command.TRANSFER, 12, 345, 6) == [12, 12, 345, 6]
    for seq in (0, 65536):  # the caller's mistakes are ValueError, not the PLC's
        with pytest.raises(ValueError):
            encode_command(Command.HOME, 0, 0, seq)
    with pytest.raises(ValueError):
        encode_command(Command.FETCH, 70000, 0, 1)
    with pytest.raises(ValueError):
        encode_command(99, 0, 0, 1)


def test_next_seq_wraps_to_1_and_skips_what_it_must_avoid():
    assert next_seq(0) == 1
    assert next_seq(41) == 42
    assert next_seq(65535) == 1
    assert next_seq(41, frozenset({42, 43})) == 44
    assert next_seq(65534, frozenset({65535})) == 1


@EXAMPLES
@given(st.integers(0, 0xFFFF), st.frozensets(SEQ, max_size=4))
def test_next_seq_is_always_a_valid_seq_outside_avoid(seq, avoid):
    following = next_seq(seq, avoid)
    assert 1 <= following <= 0xFFFF and following not in avoid


def _status(**overrides) -> CarouselStatus:
    values = dict(state=State.IDLE, ack_seq=1, done_seq=1, result=Result.OK, fault=None, level=0,
                  position=0, geometry=Geometry(), firmware=0x0100, boot_id=7, heartbeat=3,
                  reject_seq=0, reject_code=Result.OK, cycles=0,
                  sensors=Sensors.from_bits([True] * 10), lamps=Lamps(False, False, False))
    return CarouselStatus(**{**values, **overrides})

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


CODES = {InputRegister.STATE: State, InputRegister.RESULT: Result, InputRegister.REJECT_CODE: Result,
         InputRegister.FAULT_CODE: FaultCode}


def set_word(words: list[int], register: InputRegister, value: int) -> list[int]:
    """`words` with `register` set to `value`."""
    return [value if i == register else w for i, w in enumerate(words)]


@st.composite
def wrong_register_count(draw, words):
    return draw(st.one_of(st.integers(0, len(words) - 1).map(lambda n: words[:n]),
                          st.lists(WORD, min_size=1, max_size=4).map(lambda more: words + more)))


@st.composite
def not_a_word(draw, words):
    value = draw(st.one_of(st.integers(-0x10000, -1), st.integers(0x10000, 0x2FFFF)))
    return set_word(words, draw(st.sampled_from(InputRegister)), value)


@st.composite
def impossible_geometry(draw, words):
    levels = words[InputRegister.LEVELS]
    register, value = draw(st.one_of(
        st.tuples(st.sampled_from([InputRegister.LEVELS, InputRegister.POSITIONS]), st.just(0)),
        st.tuples(st.sampled_from([InputRegister.PICKUP_LEVEL, InputRegister.RETURN_LEVEL]),
                  st.integers(levels, 0xFFFF))))
    return set_word(words, register, value)


@st.composite
def off_the_drum(draw, words):
    register = draw(st.sampled_from([InputRegister.LEVEL, InputRegister.POSITION]))
    limit = words[InputRegister.LEVELS if register is InputRegister.LEVEL else InputRegister.POSITIONS]
    return set_word(words, register, draw(st.integers(limit, 0xFFFF)))


def zero_boot_id(words):
    return st.just(set_word(words, InputRegister.BOOT_ID, 0))


@st.composite
def unknown_code(draw, words):
    register = draw(st.sampled_from(sorted(CODES)))
    known = {int(code) for code in CODES[register]} | ({0} if register is InputRegister.FAULT_CODE else set())
    return set_word(words, register, draw(WORD.filter(lambda v: v not in known)))


REGISTER_CORRUPTIONS = {  # one corruption of a valid reading, and the check that must catch it
    "expected 18 input registers": wrong_register_count, "is not a 16-bit word": not_a_word,
    "impossible geometry": impossible_geometry, "LEVEL .* outside": off_the_drum,
    "BOOT_ID is 0": zero_boot_id, "is not a known code": unknown_code,
}


@pytest.mark.parametrize("check", REGISTER_CORRUPTIONS)
@EXAMPLES
@given(data=st.data(), status=statuses())
def test_a_valid_reading_with_one_register_corrupted_stops_at_its_own_check(check, data, status):
    words = data.draw(REGISTER_CORRUPTIONS[check](encode_input_registers(status)))
    with pytest.raises(RegisterMapError, match=check):
        decode_status(words, status.sensors.to_bits(), status.lamps.to_bits())


@EXAMPLES
@given(statuses(), st.sampled_from(["sensors", "lamps"]), st.data())
def test_a_valid_reading_with_bits_missing_is_a_register_map_error(status, which, data):
    sensors, lamps = status.sensors.to_bits(), status.lamps.to_bits()
    if which == "sensors":
        sensors = sensors[:data.draw(st.integers(0, len(sensors) - 1))]
    else:
        lamps = lamps[:data.draw(st.integers(0, len(lamps) - 1))]
    with pytest.raises(RegisterMapError, match=f"expected \\d+ {'discrete inputs' if which == 'sensors' else 'coils'}"):
        decode_status(encode_input_registers(status), sensors, lamps)


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

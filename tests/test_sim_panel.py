"""The simulator panel (GET /panel on the world API): it draws the world and its buttons act."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from conftest import wait_for
from drivers.carousel.registers import Command, InputRegister
from kiosk.session import mask_name
from sim.library.demo import DEMO_PATRONS, panel_patrons
from sim.world_api import ROUTES, make_app
from ui_browser import axe_violations, chromium, new_page  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PANEL_JS = ROOT / "sim" / "panel" / "panel.js"
SIM_DOC = ROOT / "docs" / "simulator.md"
DESKTOP = {"width": 1400, "height": 1000}  # a developer's window, not the touchscreen


def open_panel(new_page, sim):
    """The panel in English at a desktop size, once it has drawn the first state."""
    page = new_page(f"{sim.world_url}/panel", viewport=DESKTOP, locale="en-GB")
    page.wait_for_function("document.querySelectorAll('#drum .slot').length > 0")
    return page


def plc_command(sim, command: Command, arg1: int = 0) -> None:
    """Send one PLC command over Modbus TCP (as the controller would) and wait for its end."""
    modbus = ModbusTcpClient(sim.endpoints["modbus"]["host"], port=sim.endpoints["modbus"]["port"],
                             timeout=2)
    assert modbus.connect()
    try:
        seq = sim.world_get()["plc"]["ack_seq"] % 65535 + 1
        assert not modbus.write_registers(0, [command, arg1, 0, seq], device_id=1).isError()
        wait_for(lambda: sim.world_get()["plc"]["done_seq"] == seq, message=f"{command.name} done")
        result = modbus.read_input_registers(InputRegister.RESULT, count=1, device_id=1)
        assert result.registers == [0], f"{command.name} finished {result.registers}"
    finally:
        modbus.close()


def answer(page, number: int) -> str:
    """The panel's answer to its `number`th button press (1: the first), once it is there."""
    page.wait_for_function(f"document.querySelectorAll('#log li').length >= {number}")
    return page.locator("#log li").nth(-number).inner_text()


# -- without a browser -------------------------------------------------------------
def test_every_panel_button_posts_to_a_world_route():
    paths = set(re.findall(r'\["(/[a-z/-]+)"', PANEL_JS.read_text(encoding="utf-8")))
    assert paths and paths <= set(ROUTES)


def test_every_world_route_is_documented():
    routes = {f"{r.method} {r.resource.canonical}" for r in make_app(None).router.routes()
              if r.method in ("GET", "POST")}
    documented = {f"{m} {p}" for m, p in
                  re.findall(r"`(GET|POST) (/[a-z/-]+)", SIM_DOC.read_text(encoding="utf-8"))}
    assert routes - documented == set()


def test_the_panel_masks_names_as_the_touchscreen_does():
    assert [p["masked_name"] for p in panel_patrons()] == [mask_name(p.name) for p in DEMO_PATRONS]
    assert all(p["qr"] == p["member_number"] for p in panel_patrons())


# -- the panel on a running simulator -------------------------------------------------
@pytest.mark.browser
def test_the_panel_draws_the_drum_as_the_world_says(sim, new_page):
    page = open_panel(new_page, sim)
    world = sim.world_get()
    occupied = len(world["slots"])
    page.wait_for_function(f"document.querySelectorAll('#drum .slot.occupied').length === {occupied}")
    assert page.locator("#drum .slot.free").count() == 1000 - occupied
    assert page.locator("#occupied-count").inner_text() == str(occupied)
    assert page.locator("#free-count").inner_text() == str(1000 - occupied)
    assert page.locator("#bin-capacity").inner_text() == str(world["bin_capacity"])
    assert page.locator("#plc-state").inner_text() == world["plc"]["names"]["state"]
    assert page.locator("#patron option").count() == len(DEMO_PATRONS)
    assert axe_violations(page) == []


@pytest.mark.browser
@pytest.mark.pcsc
def test_a_demo_patrons_card_is_tapped_and_removed(sim, new_page):
    page = open_panel(new_page, sim)
    index, lee = next((i, p) for i, p in enumerate(DEMO_PATRONS) if p.pin)
    page.select_option("#patron", str(index))
    assert lee.card_uid in page.locator("#patron-details").inner_text()
    page.click("#tap-card")
    assert answer(page, 1).endswith("→ ok")  # once pcscd has noticed the card
    assert sim.world_get()["card"]["present"] == lee.card_uid
    page.wait_for_function(
        f"document.getElementById('card-present').textContent.includes({lee.name!r})")
    page.click("#remove-card")
    assert answer(page, 2).endswith("→ ok")
    assert sim.world_get()["card"]["present"] is None
    page.wait_for_function("document.getElementById('card-present').textContent === 'no card'")


@pytest.mark.browser
def test_safety_and_fault_buttons_change_the_world(sim, new_page):
    page = open_panel(new_page, sim)
    page.click("#estop")
    wait_for(lambda: not sim.world_get()["sensors"]["estop_released"], message="e-stop pressed")
    page.wait_for_function("document.getElementById('estop').getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("document.getElementById('plc-state').textContent === 'INTERLOCK'")
    page.click("#estop")
    wait_for(lambda: sim.world_get()["sensors"]["estop_released"], message="e-stop released")
    page.click("#service-door")
    wait_for(lambda: not sim.world_get()["sensors"]["service_door_closed"], message="cabinet open")
    page.select_option("#jam-code", "3")
    page.click("#jam")
    wait_for(lambda: sim.world_get()["plc"]["armed"]["jam"] == "PICKER_JAM", message="jam armed")
    page.click("#hang")
    wait_for(lambda: sim.world_get()["plc"]["hung"], message="PLC hung")
    page.wait_for_function("document.getElementById('plc-hung').textContent === 'yes'")
    page.click("#hang")
    wait_for(lambda: not sim.world_get()["plc"]["hung"], message="PLC running again")
    page.select_option("#library-kind", "drop")
    page.click("#library-fault")
    wait_for(lambda: sim.world_get()["faults"]["library"].get("http", {}).get("kind") == "drop",
             message="library fault")
    page.click("#library-clear")
    wait_for(lambda: sim.world_get()["faults"]["library"] == {}, message="library faults cleared")
    assert axe_violations(page) == []


@pytest.mark.browser
def test_a_book_is_taken_and_inserted_back_and_a_foreign_one_refused_by_a_full_port(sim, new_page):
    page = open_panel(new_page, sim)
    slot, entry = next(iter(sim.world_get()["slots"].items()))
    plc_command(sim, Command.HOME)
    plc_command(sim, Command.FETCH, int(slot))
    plc_command(sim, Command.OPEN_PICKUP)
    page.click("#take-book")
    wait_for(lambda: entry["item_id"] in [b["item_id"] for b in sim.world_get()["out"]],
             message="the book taken out")
    plc_command(sim, Command.OPEN_RETURN)
    page.wait_for_function(
        f"[...document.querySelectorAll('#out-book option')].some(o => o.value === {entry['item_id']!r})")
    page.select_option("#out-book", entry["item_id"])
    page.click("#insert-out")
    wait_for(lambda: (sim.world_get()["return_port"] or {}).get("item_id") == entry["item_id"],
             message="the book in the return port")
    page.fill("#foreign-id", "MP00000042")
    page.click("#insert-foreign")
    assert "→ 409 return_port is taken" in answer(page, 3)
    assert page.locator("#log li.error").count() == 1


@pytest.mark.browser
def test_a_foreign_book_goes_into_the_open_return_port(sim, new_page):
    page = open_panel(new_page, sim)
    plc_command(sim, Command.OPEN_RETURN)  # a door opens without homing
    page.fill("#foreign-id", "MP00000042")
    page.select_option("#foreign-isil", "111002")
    page.click("#insert-foreign")
    wait_for(lambda: (sim.world_get()["return_port"] or {}).get("item_id") == "MP00000042",
             message="the foreign book in the return port")
    page.wait_for_function(
        "document.getElementById('return-port').textContent.includes('MP00000042')")
    assert page.input_value("#foreign-id") == "MP00000043"  # ready for the next one
    assert answer(page, 1).endswith("→ ok")
    sim.stop()  # an open event stream does not hold the clean stop up (SIGKILL after 10 s)
    assert sim.process.returncode == 0

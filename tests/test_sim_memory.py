"""The simulator keeps its world in its state dir: a restart finds every book, door and loan as it was."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import requests

from conftest import start_sim, wait_for
from kiosk_rig import DEMO_TOKEN, GOOD_MEMBER
from sim import store
from sim.collection import demo_collection
from sim.world import AFI_ON_LOAN, Place, PlaceKind, World, make_book


def busy_world() -> World:
    """The demo collection with a book in every kind of place, a tag changed and a door open."""
    world = World()
    world.load(demo_collection(40))
    books = list(world.books)
    world.move(books[0], Place(PlaceKind.PICKER))
    world.move(books[1], Place(PlaceKind.PICKUP_PORT))
    world.move(books[2], Place(PlaceKind.OUT))
    world.books[books[2]].afi = AFI_ON_LOAN
    world.books[books[3]].memory[4] ^= 0xFF
    world.move(books[4], Place(PlaceKind.RETURN_OPENING))
    for uid in (books[6], books[5]):  # the bin keeps its order, not the collection's
        world.move(uid, Place(PlaceKind.OVERFLOW_BIN))
    world.add(make_book(bytes.fromhex("E00401F000000001"), "X1", isil="999999"),
              Place(PlaceKind.RETURN_PORT))
    world.move(books[7], Place(PlaceKind.SLOT, 999))
    world.sensors.pickup_door_closed = False
    world.sensors.estop_released = False
    world.sensors.pickup_hand = True
    world.picker_facing = 17
    return world


def comparable(world: World) -> dict:
    """A world's snapshot without the change counter."""
    snapshot = world.snapshot()
    snapshot.pop("version")
    return snapshot


def test_a_saved_world_loads_back_the_same(tmp_path):
    world = busy_world()
    retained = store.Retained(boot_id=4242, cycles=70000, level=3, position=55)
    path = tmp_path / store.WORLD_FILE
    store.save(path, world, retained)
    again = World()
    assert store.load(path, again) == retained
    expected = comparable(world)
    expected["sensors"]["pickup_hand"] = False  # a hand is not kept through a restart
    assert comparable(again) == expected
    assert {uid: (b.memory, b.afi, b.title) for uid, b in again.books.items()} == \
        {uid: (b.memory, b.afi, b.title) for uid, b in world.books.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.WORLD_FILE]  # no temporary left


def test_a_save_that_reuses_unchanged_books_writes_what_a_whole_save_writes(tmp_path):
    world, retained = busy_world(), store.Retained(boot_id=7)
    texts, path = store.BookTexts(), tmp_path / store.WORLD_FILE
    books = list(world.books)

    def saved_as_whole() -> bool:
        store.save(path, world, retained, texts)
        return path.read_text() == json.dumps(store.dump(world, retained), separators=(",", ":"))
    assert saved_as_whole()
    world.move(books[10], Place(PlaceKind.SLOT, 997))  # moved after a save
    assert saved_as_whole()
    world.books[books[11]].memory[0] ^= 0xFF  # a tag written in place
    world.books[books[12]].afi = AFI_ON_LOAN
    world.move(books[13], Place(PlaceKind.OVERFLOW_BIN))  # the bin's order comes last
    world.sensors.return_shutter_closed = False
    assert saved_as_whole()
    world.add(make_book(bytes.fromhex("E00401F000000002"), "X2"), Place(PlaceKind.SLOT, 998))
    assert saved_as_whole()
    assert store.load(path, World()) == retained


def test_no_saved_world_is_a_new_machine(tmp_path):
    world = World()
    assert store.load(tmp_path / store.WORLD_FILE, world) is None
    assert world.books == {}


@pytest.mark.parametrize("text", ["{", '{"format": 99}', '{"format": 1, "books": [{}]}'])
def test_an_unreadable_world_is_refused_with_its_path(tmp_path, text):
    path = tmp_path / store.WORLD_FILE
    path.write_text(text)
    with pytest.raises(store.StoreError, match=str(path)):
        store.load(path, World())


def test_two_books_in_one_slot_are_refused(tmp_path):
    world = busy_world()
    data = store.dump(world, store.Retained())
    data["books"][10]["slot"] = data["books"][11]["slot"]
    path = tmp_path / store.WORLD_FILE
    path.write_text(json.dumps(data))
    with pytest.raises(store.StoreError, match="taken"):
        store.load(path, World())


# -- the real kiosk-sim, restarted on the same state dir -------------------------------------

def restarted(handle, state_dir: Path, kill: bool = False):
    """Stop the simulator (SIGTERM, or SIGKILL: a power cut) and start it on the same state dir."""
    if kill:
        os.kill(handle.process.pid, signal.SIGKILL)
        handle.process.wait()
        (state_dir / "endpoints.json").unlink()
    else:
        handle.stop()
    return start_sim(state_dir, "--speed", "20")


def admin(sim, method: str, path: str, body: dict | None = None) -> dict:
    """The library emulator's admin API."""
    response = requests.request(method, f"{sim.endpoints['library']['url']}{path}", json=body,
                                headers={"Authorization": f"Bearer {DEMO_TOKEN}"}, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


@pytest.mark.parametrize("kill", [False, True], ids=["clean-stop", "sigkill"])
def test_a_restarted_simulator_has_the_same_world_and_library(tmp_path, kill):
    state_dir = tmp_path / "sim"
    first = start_sim(state_dir, "--speed", "20")
    try:
        first.world_post("/estop", {"pressed": True})
        first.world_post("/return/insert", {"item_id": "EM00000001"}, expect=409)  # shutter shut
        ahead = admin(first, "POST", "/admin/clock", {"advance_days": 3})["now"]
        before = first.world_get()
        wait_for(lambda: not json.loads((state_dir / store.WORLD_FILE).read_text())
                 ["sensors"]["estop_released"], message="the change to be saved")
    finally:
        second = restarted(first, state_dir, kill)
    try:
        after = second.world_get()
        assert after["slots"] == before["slots"] and len(after["slots"]) == 960
        assert after["sensors"]["estop_released"] is False
        assert after["plc"]["state"] == before["plc"]["state"]  # INTERLOCK: the e-stop is still in
        assert after["plc"]["boot_id"] != before["plc"]["boot_id"]  # a power-up
        assert admin(second, "GET", "/admin/clock")["now"] >= ahead  # the library's time went on
        assert admin(second, "GET", f"/admin/patrons/{GOOD_MEMBER}")["member_number"] == GOOD_MEMBER
    finally:
        second.stop()


def test_a_new_state_dir_is_a_new_machine(tmp_path):
    sim = start_sim(tmp_path / "sim", "--speed", "20", "--empty")
    try:
        assert sim.world_get()["slots"] == {}
        assert (tmp_path / "sim" / "loading-list.csv").read_text().splitlines() == \
            ["item_id,uid,slot,title,authors,year,subject,popularity"]
    finally:
        sim.stop()

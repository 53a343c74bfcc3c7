"""kiosk reslot on the running machine: popular books move nearer the ports, by TRANSFER, and the
popularity-weighted mean fetch time measurably falls, checked against the simulator's drum."""

from __future__ import annotations

import csv

from drivers.carousel.geometry import Geometry
from kiosk.config import load_config
from kiosk.control import ask as raw_ask
from kiosk_rig import TECHNICIAN_PIN
from kiosk.reslot_plan import item_weight, slot_seconds, weighted_mean


def ask(path, request: str, args: dict | None = None, timeout: float = 30.0, **kw) -> dict:
    """The control socket as a technician with the PIN asks it."""
    return raw_ask(path, request, args, timeout, pin=TECHNICIAN_PIN, **kw)


def drum_mean(kiosk, weights: dict[str, float]) -> float:
    """The weighted mean fetch seconds of the books where the simulator has them."""
    world = kiosk.sim.world_get()
    g = world["geometry"]
    geometry = Geometry(levels=g["levels"], positions=g["positions"],
                        pickup_level=g["pickup_level"], return_level=g["return_level"])
    timing = load_config(kiosk.config_path).carousel.timing
    placed = {book["item_id"]: int(slot) for slot, book in world["slots"].items()}
    return weighted_mean(placed, weights, slot_seconds(geometry, timing))


def popularity_weights(kiosk) -> dict[str, float]:
    """Each book's weight from the loading list (no loans yet on a new machine)."""
    with (kiosk.sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
        return {row["item_id"]: item_weight(0, float(row["popularity"] or 0))
                for row in csv.DictReader(f)}


def test_reslot_lowers_the_weighted_mean_fetch_time_on_the_drum(kiosk):
    weights = popularity_weights(kiosk)
    before = drum_mean(kiosk, weights)
    plan = ask(kiosk.control_socket, "reslot", {"max_moves": 12, "dry_run": True})["result"]
    assert 0 < plan["planned_moves"] <= 12 and plan["mean_after"] < plan["mean_before"]
    assert abs(plan["mean_before"] - before) < 1e-6  # the plan starts from the real drum
    assert drum_mean(kiosk, weights) == before  # a dry run moves nothing

    answer = ask(kiosk.control_socket, "reslot", {"max_moves": 12}, 300)
    assert answer["ok"], answer
    result = answer["result"]
    assert len(result["moves_done"]) == plan["planned_moves"] and not result["moves_skipped"]
    slots = kiosk.sim.world_get()["slots"]
    for move in result["moves_done"]:
        assert slots[str(move["to_slot"])]["item_id"] == move["item_id"]
        assert str(move["from_slot"]) not in slots or (
            slots[str(move["from_slot"])]["item_id"] != move["item_id"])
    after = drum_mean(kiosk, weights)
    assert after < before
    assert abs(result["measured_mean_after"] - after) < 1e-6
    assert kiosk.state()["state"] == "ready"
    assert kiosk.control("flags") == []

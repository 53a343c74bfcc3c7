"use strict";
// The simulator panel: draws the state GET /world/events sends, acts through the world API.

const $ = (id) => document.getElementById(id);
const TEXT = {};
const LOG_LENGTH = 50;
let world = null;
let titles = {};
let cells = [];
let rendering = Promise.resolve();  // states are drawn one after the other, in order

// -- texts and small helpers ----------------------------------------------
function loadTexts() {
  for (const span of $("texts").content.querySelectorAll("[data-key]")) {
    TEXT[span.dataset.key] = span.textContent;
  }
}

function put(id, text, alert = false) {
  const element = $(id);
  if (element.textContent !== text) element.textContent = text;
  element.classList.toggle("alert", alert);
}

function book(entry) {
  if (!entry) return TEXT.empty;
  const title = titles[entry.item_id];
  return title ? `${entry.item_id} – ${title}` : entry.item_id;
}

function stack(entry, above) {
  return [book(entry), ...above.map(book)].join(` ${TEXT.stacked} `);
}

function yesNo(value) {
  return value ? TEXT.yes : TEXT.no;
}

async function loadTitles() {
  const response = await fetch("/world/books");
  if (response.ok) titles = await response.json();
}

function knowsEveryTitle(state) {
  const entries = [state.picker, state.pickup_port, state.return_port, state.return_opening,
    ...state.out, ...state.overflow_bin, ...state.stacked.return_port,
    ...state.stacked.return_opening];
  return entries.every((entry) => !entry || entry.item_id in titles);
}

// -- the drum --------------------------------------------------------------
function buildDrum(geometry) {
  const drum = $("drum");
  drum.style.setProperty("--positions", geometry.positions);
  drum.replaceChildren();
  cells = new Array(geometry.levels * geometry.positions);
  for (let level = geometry.levels - 1; level >= 0; level--) {
    drum.append(rowLabel(level, geometry));
    for (let position = 0; position < geometry.positions; position++) {
      const cell = document.createElement("div");
      cells[level * geometry.positions + position] = cell;
      drum.append(cell);
    }
  }
}

function rowLabel(level, geometry) {
  const label = document.createElement("div");
  label.className = "row-label";
  label.textContent = `${TEXT.level} ${level}`;
  for (const [port, at] of [["pickup-level", geometry.pickup_level],
    ["return-level", geometry.return_level]]) {
    if (level === at) {
      label.textContent += ` ${TEXT[port]}`;
      label.classList.add("port");
    }
  }
  return label;
}

function renderDrum(state) {
  const geometry = state.geometry;
  if (cells.length !== geometry.levels * geometry.positions) buildDrum(geometry);
  const carriage = state.plc.level * geometry.positions + state.plc.position;
  cells.forEach((cell, slot) => {
    const entry = state.slots[slot];
    const name = "slot " + (entry ? "occupied" : "free") + (slot === carriage ? " carriage" : "")
      + (slot === state.picker_facing ? " facing" : "");
    if (cell.className !== name) cell.className = name;
    const title = `${TEXT.slot} ${slot}: ${entry ? book(entry) : TEXT.free}`;
    if (cell.title !== title) cell.title = title;
  });
  const occupied = Object.keys(state.slots).length;
  put("occupied-count", String(occupied));
  put("free-count", String(cells.length - occupied));
  put("slot-count", String(cells.length));
  put("carriage-level", String(state.plc.level));
  put("carriage-position", String(state.plc.position));
}

// -- the places, the PLC and the devices ------------------------------------
function renderPorts(state) {
  const s = state.sensors;
  put("picker", book(state.picker));
  put("picker-facing", state.picker_facing === null ? TEXT.none : String(state.picker_facing));
  put("pickup-door", s.pickup_door_closed ? TEXT.closed : TEXT.open, !s.pickup_door_closed);
  put("pickup-curtain", s.pickup_hand ? TEXT.hand : TEXT.clear, s.pickup_hand);
  put("pickup-port", book(state.pickup_port));
  put("pickup-lamp", state.lamps.pickup_lamp ? TEXT.on : TEXT.off);
  const shut = s.return_shutter_closed;
  put("return-shutter", shut ? TEXT.closed : TEXT.open, !shut);
  put("return-curtain", s.return_hand ? TEXT.hand : TEXT.clear, s.return_hand);
  put("return-port", stack(state.return_port, state.stacked.return_port));
  put("return-opening", stack(state.return_opening, state.stacked.return_opening));
  put("return-lamp", state.lamps.return_lamp ? TEXT.on : TEXT.off);
  const binned = state.overflow_bin.length;
  put("bin-count", String(binned), binned >= state.bin_capacity);
  put("bin-capacity", String(state.bin_capacity));
  renderList("bin-list", state.overflow_bin.map(book));
  put("out-count", String(state.out.length));
}

function renderList(id, texts) {
  const list = $(id);
  if (list.dataset.shown === JSON.stringify(texts)) return;
  list.dataset.shown = JSON.stringify(texts);
  list.replaceChildren(...texts.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
}

function renderPlc(state) {
  const plc = state.plc;
  put("plc-state", plc.names.state, plc.names.state === "FAULT");
  put("plc-fault", plc.names.fault || TEXT.none, Boolean(plc.names.fault));
  put("plc-hung", yesNo(plc.hung), plc.hung);
  put("plc-motion", plc.motion || TEXT.none);
  put("plc-done", plc.done_seq ? `${TEXT.seq} ${plc.done_seq}: ${plc.names.result}` : TEXT.none);
  put("plc-rejected",
    plc.reject_seq ? `${TEXT.seq} ${plc.reject_seq}: ${plc.names.reject_code}` : TEXT.none);
  put("plc-boot", `${plc.boot_id}, ${plc.cycles_hi * 65536 + plc.cycles_lo}`);
  put("fault-beacon", state.lamps.fault_beacon ? TEXT.on : TEXT.off, state.lamps.fault_beacon);
  put("armed", armedFaults(state) || TEXT.none, Boolean(armedFaults(state)));
}

function armedFaults(state) {
  const armed = [];
  if (state.plc.armed.jam) armed.push(`${TEXT.jam} ${state.plc.armed.jam}`);
  for (const door of state.plc.armed.door_blocked) armed.push(`${door}: ${TEXT.blocked}`);
  if (state.faults.rfid_read_errors) armed.push(`${TEXT.rfid}: ${state.faults.rfid_read_errors}`);
  const collisions = state.faults.rfid_collisions;
  if (collisions.count) {
    const where = collisions.antenna === null ? "" : ` (${collisions.antenna})`;
    armed.push(`${TEXT.collisions}${where}: ${collisions.count}`);
  }
  return armed.join("; ");
}

function renderSafety(state) {
  const s = state.sensors;
  const cabinet = s.service_door_closed;
  put("service-door-state", cabinet ? TEXT.closed : TEXT.open, !cabinet);
  put("estop-state", s.estop_released ? TEXT.released : TEXT.pressed, !s.estop_released);
  put("card-reader", state.card.lost ? `${state.card.reader}: ${TEXT.lost}` : state.card.reader,
    state.card.lost);
  put("card-present", cardText(state));
  put("jack-state", state.keypad.jack ? TEXT.plugged : TEXT.unplugged);
  put("keys-sent", String(state.keypad.keys_sent));
  const library = Object.entries(state.faults.library).map(([transport, fault]) => {
    const left = fault.remaining === null ? TEXT["until-cleared"] : `${fault.remaining} ${TEXT.left}`;
    return `${transport}: ${fault.kind} (${left})`;
  });
  put("library-faults", library.join("; ") || TEXT.none, library.length > 0);
}

function cardText(state) {
  const uid = state.card.present;
  if (!uid) return TEXT["no-card"];
  const patron = state.demo_patrons.find((p) => p.card_uid === uid);
  return `${uid} – ${patron ? patron.name : TEXT["unknown-card"]}`;
}

function renderToggles(state) {
  const s = state.sensors;
  const pressed = {"hand-pickup": s.pickup_hand, "hand-return": s.return_hand,
    "service-door": !s.service_door_closed, "estop": !s.estop_released, "hang": state.plc.hung,
    "jack": state.keypad.jack, "card-reader-lost": state.card.lost};
  for (const [id, on] of Object.entries(pressed)) $(id).setAttribute("aria-pressed", String(on));
}

// -- the selects ---------------------------------------------------------------
function renderPatrons(state) {
  const select = $("patron");
  if (select.options.length === state.demo_patrons.length) return;
  select.replaceChildren(...state.demo_patrons.map((p, index) =>
    new Option(`${p.name} – ${p.note}`, String(index))));
  showPatron();
}

function patron() {
  return world.demo_patrons[Number($("patron").value)];
}

function showPatron() {
  const p = patron();
  const parts = [`${TEXT["screen-name"]} ${p.masked_name}`, `${TEXT.card} ${p.card_uid}`,
    `${TEXT.qr} ${p.qr}`, ...(p.pin ? [`${TEXT.pin} ${p.pin}`] : []), p.library_name];
  put("patron-details", parts.join(" · "));
}

function renderOutBooks(state) {
  const select = $("out-book");
  const ids = state.out.map((entry) => entry.item_id);
  if (select.dataset.shown === JSON.stringify(ids)) return;
  select.dataset.shown = JSON.stringify(ids);
  const chosen = select.value;
  select.replaceChildren(...state.out.map((entry) => new Option(book(entry), entry.item_id)));
  if (!ids.length) select.append(new Option(TEXT["no-book-out"], ""));
  if (ids.includes(chosen)) select.value = chosen;
}

async function render(state) {
  if (!knowsEveryTitle(state)) await loadTitles();
  world = state;
  renderDrum(state);
  renderPorts(state);
  renderPlc(state);
  renderSafety(state);
  renderToggles(state);
  renderPatrons(state);
  renderOutBooks(state);
}

// -- the buttons -----------------------------------------------------------------
const ACTIONS = {
  "tap-card": () => ["/card/tap", $("faulty-card").checked
    ? {uid: patron().card_uid, status_words: 0x6A81} : {uid: patron().card_uid}],
  "remove-card": () => ["/card/remove", {}],
  "scan-qr": () => ["/barcode/scan", {data: patron().qr, symbology: "]Q1"}],
  "take-book": () => ["/pickup/take", {}],
  "hand-pickup": () => ["/hand", {door: "pickup", present: !world.sensors.pickup_hand}],
  "insert-out": () => ["/return/insert", {item_id: $("out-book").value,
    damaged_tag: $("out-damaged").checked}],
  "insert-two": () => ["/return/insert", {item_id: $("out-book").value,
    with: world.out.map((entry) => entry.item_id).filter((id) => id !== $("out-book").value)
      .slice(0, 1)}],
  "scan-out": () => ["/barcode/scan", {data: $("out-book").value, symbology: "]C0"}],
  "insert-new": () => ["/return/insert", {new: {}}],
  "move-book": () => ["/slots/move", {from: Number($("move-from").value),
    to: $("move-to").value.trim() === "" ? null : Number($("move-to").value)}],
  "insert-foreign": () => ["/return/insert", {foreign: {item_id: $("foreign-id").value.trim(),
    isil: $("foreign-isil").value, damaged_tag: $("foreign-damaged").checked}}],
  "take-back": () => ["/return/take-back", {}],
  "hand-return": () => ["/hand", {door: "return", present: !world.sensors.return_hand}],
  "service-door": () => ["/service-door", {open: world.sensors.service_door_closed}],
  "estop": () => ["/estop", {pressed: world.sensors.estop_released}],
  "picker-unload": () => ["/picker/unload", {
    to: $("picker-to").value.trim() === "" ? null : Number($("picker-to").value)}],
  "jam": () => ["/faults/jam", {fault_code: Number($("jam-code").value)}],
  "door-blocked": () => ["/faults/door-blocked", {door: $("blocked-door").value}],
  "power-cycle": () => ["/faults/plc-power-cycle", {}],
  "hang": () => ["/faults/plc-hang", {hang: !world.plc.hung}],
  "rfid-errors": () => ["/faults/rfid-errors", {count: Number($("rfid-count").value)}],
  "rfid-collision": () => ["/faults/rfid-collision", {count: 1,
    antenna: Number($("collision-antenna").value)}],
  "card-reader-lost": () => ["/faults/card-reader", {lost: !world.card.lost}],
  "garbage": () => ["/faults/garbage", {device: $("garbage-device").value,
    hex: $("garbage-hex").value.trim()}],
  "library-fault": () => ["/faults/library", libraryFault()],
  "library-clear": () => ["/faults/library/clear", {}],
  "jack": () => ["/keypad/jack", {plugged: !world.keypad.jack}],
};

// A key of the accessibility keypad: its KeyboardEvent.key is the button's data-keypad.
function keypadKey(button) {
  return ["/keypad/key", {key: button.dataset.keypad}];
}

function libraryFault() {
  const count = $("library-count").value.trim();
  return {transport: $("library-transport").value, kind: $("library-kind").value,
    count: count === "" ? null : Number(count)};
}

async function act(button) {
  if (!world) return;
  const [path, body] = button.dataset.keypad ? keypadKey(button) : ACTIONS[button.id]();
  const name = button.getAttribute("aria-label") || button.textContent.trim();
  const request = `${name}: POST ${path} ${JSON.stringify(body)}`;
  button.disabled = true;
  try {
    const response = await fetch(path, {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json"}});
    const answer = await response.json().catch(() => ({error: response.statusText}));
    const outcome = response.ok ? okText(answer) : `${response.status} ${answer.error}`;
    log(`${request} → ${outcome}`, !response.ok);
    if (response.ok && button.id === "insert-foreign") nextForeignId();
  } catch (error) {
    log(`${request} → ${error}`, true);
  } finally {
    button.disabled = false;
  }
}

function okText(answer) {
  const sent = "listeners" in answer ? answer : answer.sent;
  return sent && sent.listeners === 0 ? `${TEXT.ok}, ${TEXT["no-listener"]}` : TEXT.ok;
}

function nextForeignId() {
  const input = $("foreign-id");
  input.value = input.value.replace(/\d+$/, (digits) =>
    String(Number(digits) + 1).padStart(digits.length, "0"));
}

function log(text, error) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString("en-GB")} ${text}`;
  item.classList.toggle("error", error);
  const list = $("log");
  list.prepend(item);
  while (list.children.length > LOG_LENGTH) list.lastChild.remove();
}

// -- start --------------------------------------------------------------------------
function connect() {
  const source = new EventSource("/world/events");
  source.addEventListener("world", (event) => {
    const state = JSON.parse(event.data);
    rendering = rendering.then(() => render(state)).catch((error) => log(String(error), true));
  });
  source.addEventListener("open", () => setConnected(true));
  source.addEventListener("error", () => setConnected(false));
}

function setConnected(up) {
  const status = $("connection");
  status.dataset.up = String(up);
  status.textContent = up ? TEXT.connected : TEXT.disconnected;
}

function start() {
  loadTexts();
  for (const id of Object.keys(ACTIONS)) {
    $(id).addEventListener("click", (event) => act(event.currentTarget));
  }
  for (const button of document.querySelectorAll("#keypad [data-keypad]")) {
    button.addEventListener("click", (event) => act(event.currentTarget));
  }
  $("patron").addEventListener("change", showPatron);
  connect();
}

start();

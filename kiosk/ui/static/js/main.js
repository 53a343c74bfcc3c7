// The touchscreen: follows the controller's state (server-sent events) and shows the screen
// for it. The page keeps only what the patron is looking at (tab, query, chosen book); the
// controller keeps everything that matters (session, cart, loans).
import * as api from "./api.js";
import * as assist from "./assist.js";
import * as i18n from "./i18n.js";
import * as keypad from "./keypad.js";
import * as voice from "./voice.js";
import { h } from "./dom.js";
import { Idle } from "./idle.js";
import { SCREENS, screenFor } from "./screens/index.js";
import { noticeText } from "./screens/start.js";

const ui = {
  snap: null, info: null, catalogue: null, view: "browse", tab: "popular", subject: null,
  typed: [], query: "", kbMode: "hangul", book: null, receipt: null, order: [],
  result: null, seenNotice: null, stepKey: null, stepSince: 0, loans: null, holds: null,
};
const idle = new Idle(onIdleEnd, (text) => voice.say(`${text} ${i18n.t("voice.more_time")}`));
let shownKey = null;
let lastScreen = null;
let modesLanguage = null;
let spokenLanguage = null;
let patronSeen = false;  // a patron used the machine since the start screen was last shown
// the screens after which the next patron gets the default modes
const AT_REST = ["starting", "attract", "closed", "out_of_service", "maintenance", "busy"];

/** What every screen receives: the state, the machine's facts, the page's memory, actions. */
const ctx = {
  ui, t: i18n.t, i18n,
  render: () => render(true),
  go(view, extra = {}) { Object.assign(ui, extra, { view }); render(true); },
  async post(path, body) {
    const answer = await api.post(path, body);
    if (!answer.ok) toast(answer.refusal ? `refusal.${answer.refusal}` : "refusal.bad_request", {}, true);
    return answer;
  },
  toast,
  async loadCatalogue() {
    const answer = await api.get("/api/catalogue");
    if (answer.ok) ui.catalogue = answer.result;
    return ui.catalogue;
  },
  async refreshInfo() {
    const answer = await api.get("/api/info");
    if (answer.ok) ui.info = answer.result;
  },
  endSession: () => api.post("/api/session/end"),
};

function toast(key, vars = {}, bad = false) {
  showToast(i18n.t(key, vars), bad);
}

function showToast(text, bad) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.className = bad ? "bad" : "";
  box.hidden = false;
  voice.say(text);
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

function onSnapshot(snap) {
  const first = ui.snap === null;
  ui.snap = snap;
  noticeArrived(snap, first);
  stepArrived(snap);
  render(false);
}

/** A new notice: in a session a toast; otherwise a screen of its own (a refusal, a return). */
function noticeArrived(snap, first) {
  if (snap.notice_seq === ui.seenNotice) return;
  ui.seenNotice = snap.notice_seq;
  const notice = snap.notice;
  if (first || !notice) return;
  if (snap.session && !["session_timed_out"].includes(notice.code)) {
    showToast(noticeLine(notice), !["renewed", "return_accepted"].includes(notice.code));
    return;
  }
  if (["pin_entry", "checking_pin"].includes(snap.state)) return;  // the PIN pad says it itself
  ui.result = notice;
}

/** A notice in one line: its words, what to do, and the library's own words when it sent any. */
function noticeLine(notice) {
  const words = noticeText(ctx, notice, titleOf(notice.item_id));
  return [words.title, words.help, notice.library_message].filter(Boolean).join(" — ");
}

function titleOf(itemId) {
  const book = (ui.catalogue?.books || []).find((b) => b.item_id === itemId);
  return book ? book.title : itemId || "";
}

/** The vend's or return's step: when it began, so its estimate counts down. */
function stepArrived(snap) {
  const key = snap.progress ? `${snap.progress.step}|${snap.progress.item_id}` : null;
  if (key !== ui.stepKey) { ui.stepKey = key; ui.stepSince = performance.now(); }
}

function render(force) {
  const snap = ui.snap;
  if (!snap || !ui.info) return;
  let name = screenFor(snap, ui);
  if (name !== lastScreen) {
    enterScreen(name, lastScreen);
    name = screenFor(snap, ui);  // leaving the vend shows the summary
  }
  const screen = SCREENS[name];
  const key = `${name}|${i18n.language()}|${screen.key ? screen.key(ctx) : JSON.stringify(snap)}`;
  drawBar(snap);
  if (!force && key === shownKey) return;
  shownKey = key;
  const main = document.getElementById("screen");
  const focused = focusSelector(document.activeElement);
  main.replaceChildren(screen.draw(ctx));
  main.setAttribute("aria-busy", "false");
  main.dataset.screen = name;
  const again = focused && main.querySelector(focused);
  const fresh = name !== lastScreen;
  if (again) again.focus();
  else if (fresh) main.focus();
  else if (focused && assist.modes.voice) keypad.first();  // the control chosen is gone (removed)
  if (fresh && !again && assist.modes.voice) keypad.first();  // the keys start at the first control
  lastScreen = name;
  idle.watch(name, screen.idle, ui.info);
  if (fresh || spokenLanguage !== i18n.language()) voice.announceScreen(i18n.t, document.activeElement);
  else voice.announceChanges(i18n.t, document.activeElement);
  spokenLanguage = i18n.language();
}

/** How to find the focused control again once the screen is drawn anew: by its focus key, or
 * else by its action (Borrow, Back, Finish are one of a kind on a screen). */
function focusSelector(el) {
  if (!el || !el.closest("#screen")) return null;
  if (el.dataset.focusKey) return `[data-focus-key="${CSS.escape(el.dataset.focusKey)}"]`;
  return el.dataset.action ? `[data-action="${CSS.escape(el.dataset.action)}"]` : null;
}

/** Leaving one screen for another: what the page forgets or fetches. */
function enterScreen(name, previous) {
  if (name === "checking" || name === "attract" || name === "closed") {
    document.getElementById("toast").hidden = true;  // a session's notices end with it
    Object.assign(ui, { view: "browse", tab: "popular", subject: null, typed: [], query: "",
      book: null, receipt: null, order: [], loans: null, holds: null, pin: "", catalogue: null });
  }
  if (name === "checking" || name === "pin") ui.result = null;  // nothing of the patron before
  if (!AT_REST.includes(name)) patronSeen = true;
  if (["attract", "closed"].includes(name) && patronSeen) { patronSeen = false; assist.reset(); }
  if (previous === "pin") ui.pin = "";
  if (previous === "vending" && ui.snap.session && ui.snap.session.vended.length) ui.view = "summary";
  // the hours change with the day: asked again each time the start screen comes back
  if (["attract", "closed"].includes(name) && previous !== null) ctx.refreshInfo().then(() => render(true));
  const needsBooks = ["browse", "detail", "cart", "vending", "summary"].includes(name);
  if (needsBooks && (!ui.catalogue || ["checking", "attract", "pin", "vending"].includes(previous))) {
    ctx.loadCatalogue().then(() => render(true));
  }
}

function drawBar(snap) {
  const status = document.getElementById("bar-status");
  const session = snap.session;
  // offline the kiosk keeps no names: the greeting goes without one
  const greeting = session && (session.name ? i18n.t("bar.greeting", { name: session.name }) : i18n.t("bar.greeting_unnamed"));
  status.textContent = greeting || i18n.t("bar.title");
  const language = document.getElementById("language");
  language.textContent = i18n.t("language.switch");
  language.lang = i18n.other();
  const banner = document.getElementById("banner");
  banner.hidden = !snap.offline;
  if (snap.offline) {
    banner.replaceChildren(h("strong", {}, i18n.t("offline.title")),
      i18n.t("offline.body", { count: ui.info.policy.offline_max_loans }));
  }
  document.title = i18n.t("bar.title");
  if (modesLanguage !== i18n.language()) {  // drawn again only for a new language: focus stays
    modesLanguage = i18n.language();
    assist.draw(i18n.t);
  }
}

/** A mode switched: the page says so, and the screens wait longer while voice is on. */
function onModeChanged(name, on) {
  if (name === "reset") {
    if (!assist.modes.voice) voice.stop();  // the caption goes with the patron
    return;
  }
  if (name === "voice") {
    if (on) {
      if (!keypad.controls().includes(document.activeElement)) keypad.first();
      voice.say(i18n.t("voice.on"));
      voice.announceScreen(i18n.t, document.activeElement);
    } else {
      voice.stop();
    }
    idle.restart();
    idle.ping(true);
    return;
  }
  voice.say(voice.describe(document.querySelector(`#assist [data-assist="${name}"]`), i18n.t));
}

/** What each keypad key does on the screen shown now. */
const KEYS = {
  next: () => focusMoved(keypad.move(1)),
  previous: () => focusMoved(keypad.move(-1)),
  select() {
    const el = document.activeElement;
    if (el && el.matches("button:not([disabled])")) el.click();
    else focusMoved(keypad.move(1));
  },
  back() {
    if (!document.getElementById("idle").hidden) { idle.more(); return; }
    const back = document.querySelector("#screen [data-back]");
    if (back) back.click();
    else voice.say(i18n.t("voice.no_back"));
  },
  help() {
    if (!assist.modes.voice) assist.set("voice", true);
    else voice.help(i18n.t, lastScreen === "pin" ? "voice.keys_pin" : "voice.keys");
  },
  volume: () => voiceSetting("volume"),
  rate: () => voiceSetting("rate"),
  repeat: () => voice.repeat(),
  jackIn() { assist.modes.jack = true; assist.set("voice", true); },
  jackOut() { assist.modes.jack = false; assist.set("voice", false); },
  digit(key) {
    if (lastScreen === "pin") { pinDigit(key); return; }
    if (key === "0") voice.stop();
    else voice.say(i18n.t("voice.key_unused"));
  },
};

function focusMoved(place) {
  if (place) voice.announceFocus(place.el, place.position, place.count, i18n.t);
}

function voiceSetting(name) {
  if (!assist.modes.voice) return;
  const { position, count } = assist.cycle(name);
  voice.say(i18n.t(`voice.${name}`, { position, count }));
}

/** A digit typed on the keypad into the PIN: the count is said, never the digit. */
function pinDigit(key) {
  document.querySelector(`#screen [data-focus-key="pin-${key}"]`)?.click();
  const ok = document.querySelector('#screen [data-focus-key="pin-ok"]');
  if (ok && !ok.disabled) {
    ok.focus();
    voice.say(i18n.t("voice.pin_confirm"));
  }
}

/** A screen's idle time ran out: the session ends (or the notice goes away). */
function onIdleEnd(name) {
  if (name === "notice") { ui.result = null; render(true); return; }
  ctx.endSession();
}

function switchLanguage() {
  i18n.use(i18n.other());
  render(true);
}

function guardKiosk() {
  const block = (event) => event.preventDefault();
  document.addEventListener("contextmenu", block);
  document.addEventListener("selectstart", block);
  document.addEventListener("dragstart", block);
  document.addEventListener("gesturestart", block);
  document.addEventListener("wheel", (event) => { if (event.ctrlKey) event.preventDefault(); }, { passive: false });
  document.addEventListener("keydown", (event) => {
    const zoom = (event.ctrlKey || event.metaKey) && ["+", "-", "=", "0"].includes(event.key);
    const away = event.altKey && ["ArrowLeft", "ArrowRight", "Home"].includes(event.key);
    if (zoom || away || event.key === "F5" || event.key === "F11") event.preventDefault();
  });
  window.addEventListener("touchmove", (event) => { if (event.touches.length > 1) event.preventDefault(); }, { passive: false });
}

/** The machine's facts, asked until the controller answers (it may be restarting). */
async function machineFacts() {
  for (let wait = 500; ; wait = Math.min(wait * 2, 10000)) {
    try {
      const answer = await api.get("/api/info");
      if (answer.ok) return answer.result;
    } catch (error) {
      console.warn(`the controller did not answer /api/info: ${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function start() {
  guardKiosk();
  ui.info = await machineFacts();
  await i18n.load(ui.info.languages, ui.info.timezone);
  i18n.use(ui.info.languages[0]);
  document.getElementById("language").addEventListener("click", switchLanguage);
  assist.init(ui.info, onModeChanged);
  keypad.install(KEYS);
  if (ui.info.keypad_events_url) keypad.follow(ui.info.keypad_events_url);
  document.getElementById("idle-more").addEventListener("click", () => idle.more());
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, () => idle.activity(), true);
  api.follow(onSnapshot, () => { document.getElementById("screen").setAttribute("aria-busy", "true"); });
  window.kioskScreen = { ui, missing: i18n.missing, idle, modes: assist.modes };  // for the tests and the panel
}

start();

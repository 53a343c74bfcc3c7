// Voice guidance: what the patron would see, said in their language on the earphones (the
// controller speaks it with espeak-ng). Every word comes from the screen or the translation
// files. What is said at once is gathered into one utterance, which cuts off the one before.
// The PIN's digits are never said.
import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { modes, facts } from "./assist.js";

// what a new screen says, in reading order: lists say only what their rows mark with data-speech
const SCREEN_TEXT = "h1, h2, .lead, .big, .door-warning, .library-words p, [role=status], [role=alert], [data-speech]";
const LIVE_TEXT = ".big, .door-warning, [role=status], [role=alert], [data-speech]";
let last = "";
let batch = [];
let liveSeen = [];
let spoken = false;  // something was said since the last stop
let screenSaidAt = -1e9;
const SETTLING_MS = 1500;  // a screen still filling in (its list loading) is said again whole

/** Say `text` (joined with whatever else is said in this moment); nothing unless voice is on. */
export function say(text) {
  if (!modes.voice || !text) return;
  if (!batch.length) setTimeout(flush, 0);
  batch.push(text);
}

function flush() {
  const parts = batch.filter((part, i) => batch.indexOf(part) === i);
  batch = [];
  if (!modes.voice || !parts.length) return;
  last = [...spokenWords(sentences(parts))].slice(0, facts().max_chars).join("");  // whole characters
  spoken = true;
  showCaption(last);
  api.post("/api/speech", { text: last, lang: i18n.language(), rate: modes.rate, volume: modes.volume })
    .then((answer) => { if (!answer.ok) console.warn(`speech refused: ${answer.error || answer.refusal}`); });
}

// what the screen writes with symbols, as a voice should say it: a short weekday in brackets
// (Korean "(Mon)" said alone sounds like "month"), the middle dot between facts (said as nothing: the words ran on)
function spokenWords(text) {
  const days = i18n.weekdayNames();
  return text.replace(/\(([^()\s]{1,3})\)/g, (whole, day) => days[day] || whole)
    .replace(/\s*·\s*/g, ", ");
}

/** Sentences joined, each ending once: "Done." and "Next" make "Done. Next", never "Done.. Next". */
function sentences(parts) {
  return parts.map((part) => part.trim()).filter(Boolean)
    .map((part, i, all) => (i < all.length - 1 && !/[.?!。]$/.test(part) ? `${part}.` : part)).join(" ");
}

/** Say the last utterance again. */
export function repeat() {
  if (last) say(last);
}

/** Silence now. */
export function stop() {
  batch = [];
  showCaption("");
  if (spoken) api.post("/api/speech/stop");
  spoken = false;
}

function showCaption(text) {
  const caption = document.getElementById("caption");
  caption.textContent = text;
  caption.hidden = !text || !modes.voice;
}

/** What an element says of itself: its label, whether it is chosen or unavailable. */
export function describe(el, t) {
  if (!el || el.id === "screen") return "";
  const parts = [label(el, t)];
  if (el.getAttribute("aria-pressed") === "true") parts.push(t("voice.selected"));
  if (el.disabled) parts.push(t("voice.unavailable"));
  return parts.join(", ");
}

function label(el, t) {
  if (el.closest(".pinpad") && /^[0-9]$/.test(el.textContent.trim())) return t("voice.pin_key");
  return textOf(el);
}

function textOf(el) {
  const text = el.dataset.speech || el.getAttribute("aria-label") || el.innerText || el.textContent || "";
  // lines of one control (a book's title, author, availability) are said as a list, not run on
  return text.split(/\s*\n\s*/).filter(Boolean).join(", ").replace(/\s+/g, " ").trim();
}

/** A control and where it is among the screen's controls ("3 of 12"); on the PIN pad no
 * place, which would tell the digit. */
export function announceFocus(el, position, count, t) {
  if (el.closest(".pinpad")) say(describe(el, t));
  else say(`${describe(el, t)}. ${t("voice.position", { position, count })}`);
}

/** A new screen: its heading and what it says, the control chosen now, the way to help. */
export function announceScreen(t, focused, hint = true) {
  const main = document.getElementById("screen");
  screenSaidAt = performance.now();
  liveSeen = liveTexts(main);
  const banner = document.getElementById("banner");
  const shown = [...(banner.hidden ? [] : [banner]), ...main.querySelectorAll(SCREEN_TEXT)];
  const texts = shown.filter((el) => !el.closest("button")).map(textOf);
  const words = [...new Set(texts.filter(Boolean))];
  if (focused && focused !== main) words.push(describe(focused, t));
  if (hint) words.push(t("voice.help_hint"));
  say(sentences(words));
}

/** The same screen drawn again: say only what newly appeared in its live parts; just after
 * the screen came, all of it again (the change would cut its first words off). */
export function announceChanges(t, focused) {
  if (performance.now() - screenSaidAt < SETTLING_MS) {
    if (liveTexts(document.getElementById("screen")).join() !== liveSeen.join()) announceScreen(t, focused);
    return;
  }
  const now = liveTexts(document.getElementById("screen"));
  const fresh = now.filter((text) => !liveSeen.includes(text));
  liveSeen = now;
  if (fresh.length) say(sentences(fresh));
}

function liveTexts(main) {
  const banner = document.getElementById("banner");  // the library out of reach: what still works
  const parts = [...main.querySelectorAll(LIVE_TEXT)].filter((el) => !el.closest("button"));
  return [...(banner.hidden ? [] : [banner]), ...parts].map(textOf).filter(Boolean);
}

/** Help: where the patron is and what every key does (`keys`: the words for this screen's). */
export function help(t, keys) {
  announceScreen(t, document.activeElement, false);
  say(t(keys));
}

// Voice guidance: what the patron would see, said in their language on the earphones (the
// controller speaks it with espeak-ng). Every word comes from the screen or the translation
// files. What is said at once is gathered into one utterance, which cuts off the one before.
// The PIN's digits are never said.
import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { modes } from "./assist.js";

// what a new screen says, in reading order: lists say only what their rows mark with data-speech
const SCREEN_TEXT = "h1, h2, .lead, .big, .door-warning, .library-words p, [role=status], [role=alert], [data-speech]";
const LIVE_TEXT = ".big, .door-warning, [role=status], [role=alert], [data-speech]";
const MAX_CHARS = 590;
let last = "";
let batch = [];
let liveSeen = [];
let spoken = false;  // something was said since the last stop

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
  last = spokenWords(sentences(parts)).slice(0, MAX_CHARS);
  spoken = true;
  showCaption(last);
  api.post("/api/speech", { text: last, lang: i18n.language(), rate: modes.rate, volume: modes.volume });
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

/** A control and where it is among the screen's controls ("3 of 12"). */
export function announceFocus(el, position, count, t) {
  say(`${describe(el, t)}. ${t("voice.position", { position, count })}`);
}

/** A new screen: its heading and what it says, the control chosen now, the way to help. */
export function announceScreen(t, focused, hint = true) {
  const main = document.getElementById("screen");
  liveSeen = liveTexts(main);
  const texts = [...main.querySelectorAll(SCREEN_TEXT)].filter((el) => !el.closest("button")).map(textOf);
  const words = [...new Set(texts.filter(Boolean))];
  if (focused && focused !== main) words.push(describe(focused, t));
  if (hint) words.push(t("voice.help_hint"));
  say(sentences(words));
}

/** The same screen drawn again: say only what newly appeared in its live parts. */
export function announceChanges() {
  const now = liveTexts(document.getElementById("screen"));
  const fresh = now.filter((text) => !liveSeen.includes(text));
  liveSeen = now;
  if (fresh.length) say(sentences(fresh));
}

function liveTexts(main) {
  return [...main.querySelectorAll(LIVE_TEXT)].filter((el) => !el.closest("button")).map(textOf).filter(Boolean);
}

/** Help: where the patron is and what every key does. */
export function help(t) {
  announceScreen(t, document.activeElement, false);
  say(t("voice.keys"));
}

// The tactile keypad below the screen is a USB keyboard: its keys arrive as key events, like a
// keyboard's (hardware/readers.md §4). Up and down move through the screen's controls in order,
// Enter chooses, Escape goes back; F1 help, F2 volume, F3 rate, F4 repeat; F9 and F10 are the
// headphone jack. The simulator's keypad reaches the page as a stream of the same keys.
const ACTIONS = {
  ArrowDown: "next", ArrowRight: "next", ArrowUp: "previous", ArrowLeft: "previous",
  Enter: "select", Escape: "back", F1: "help", F2: "volume", F3: "rate", F4: "repeat",
  F9: "jackIn", F10: "jackOut",
};
const CONTROLS = "button:not([disabled]), [tabindex='0']";

/** Send every keypad key to `handlers[action](key)`; digits go to `handlers.digit`. */
export function install(handlers) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const action = ACTIONS[event.key] || (/^[0-9]$/.test(event.key) ? "digit" : null);
    if (!action || !handlers[action]) return;
    event.preventDefault();
    event.stopPropagation();
    handlers[action](event.key);
  }, true);
}

/** The controls the keys move through, in order: the screen's, then the bar's and the modes'.
 * While the "more time?" warning shows, only its button. */
export function controls() {
  const idle = document.getElementById("idle");
  if (!idle.hidden) return [...idle.querySelectorAll(CONTROLS)];
  const parts = ["#screen", "#bar", "#assist"].map((selector) => document.querySelector(selector));
  return parts.flatMap((part) => [...part.querySelectorAll(CONTROLS)]).filter(visible);
}

function visible(el) {
  return el.getClientRects().length > 0 && !el.closest("[hidden], [inert]");
}

/** Focus the control `step` places after (or before) the focused one; it and its place. */
export function move(step) {
  const list = controls();
  if (!list.length) return null;
  const at = list.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
  list[next].focus();
  list[next].scrollIntoView({ block: "nearest" });
  return { el: list[next], position: next + 1, count: list.length };
}

/** Focus the screen's first control, if it has any (not the bar's: the screen comes first);
 * one marked data-first before it (the cart's Borrow: Enter there must not remove a book). */
export function first() {
  const list = controls();
  const el = list.find((control) => control.matches("#screen [data-first]"))
    || list.find((control) => control.closest("#screen, #idle"));
  if (el) el.focus();
  return el || null;
}

/** The keys of the simulator's keypad (a stream on another loopback port), as key events. */
export function follow(url) {
  const source = new EventSource(url);
  source.addEventListener("key", (event) => {
    const { key } = JSON.parse(event.data);
    const target = document.activeElement || document.body;
    target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
  });
  source.onerror = () => console.warn(`the keypad's stream ${url} is not answering; retrying`);
  return source;
}

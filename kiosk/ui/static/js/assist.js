// The patron's accessibility modes: larger text (200 %), high contrast, the low-reach layout
// (every control below the line a wheelchair user reaches) and voice guidance with its volume
// and rate. They last for one patron: back to the defaults when the machine is back at its
// start screen; voice guidance stays on while headphones are in the jack.
import { button } from "./dom.js";

export const modes = { zoom: false, contrast: false, lowReach: false, voice: false, jack: false, rate: 1, volume: 1 };
const TOGGLES = [["zoom", "assist.zoom"], ["contrast", "assist.contrast"], ["lowReach", "assist.low_reach"],
  ["voice", "assist.voice"]];
const CLASSES = { zoom: "zoom", contrast: "contrast", lowReach: "low-reach", voice: "voice" };
let machine = null;  // the machine's accessibility facts (/api/info)
let listeners = [];

/** The machine's accessibility facts: the reach line, the voice's settings and limits. */
export function facts() {
  return machine;
}

/** Take the machine's facts (the reach line, the voice's settings) and draw the mode bar. */
export function init(info, onChange) {
  machine = info.accessibility;
  listeners.push(onChange);
  document.documentElement.style.setProperty("--reach-line", String(machine.reach_line));
  reset();
}

/** The mode bar's buttons, in the current language. */
export function draw(t) {
  const bar = document.getElementById("assist-modes");
  bar.setAttribute("aria-label", t("assist.label"));
  bar.replaceChildren(...TOGGLES.map(([name, key]) => button(t(key), () => toggle(name),
    { "aria-pressed": modes[name] ? "true" : "false", "data-assist": name, "data-focus-key": `assist-${name}` })));
}

/** Switch one mode on or off. */
export function toggle(name) {
  set(name, !modes[name]);
}

/** Set one mode; the page's classes follow and the listeners hear of it. */
export function set(name, on) {
  if (modes[name] === on) return;
  modes[name] = on;
  if (name === "voice" && !on) Object.assign(modes, { rate: machine.default_rate, volume: machine.default_volume });
  apply();
  for (const listener of listeners) listener(name, on);
}

/** The next volume or rate, round; its position (1-based) and how many there are. */
export function cycle(name) {
  const count = name === "rate" ? machine.rates : machine.volumes;
  modes[name] = (modes[name] + 1) % count;
  return { position: modes[name] + 1, count };
}

/** A new patron: the defaults again (voice stays while headphones are in). */
export function reset() {
  Object.assign(modes, { zoom: false, contrast: false, lowReach: false, voice: modes.jack,
    rate: machine.default_rate, volume: machine.default_volume });
  apply();
  for (const listener of listeners) listener("reset", false);
}

/** In the low-reach layout, what is only read (the greeting, the offline banner, the voice's
 * caption) goes above the reach line, where it takes no room from the controls; back after. */
function placeReading(low) {
  const [top, bar, status, banner, caption, footer] = ["out-of-reach", "bar", "bar-status", "banner",
    "caption", "assist"].map((id) => document.getElementById(id));
  if (low) top.append(status, banner, caption);
  else if (status.parentElement === top) {
    bar.prepend(status);
    bar.after(banner);
    footer.before(caption);
  }
}

/** How much longer the screens wait for a patron in voice mode. */
export function idleFactor() {
  return modes.voice ? machine.voice_idle_factor : 1;
}

function apply() {
  const root = document.documentElement;
  for (const [name, cls] of Object.entries(CLASSES)) root.classList.toggle(cls, modes[name]);
  placeReading(modes.lowReach);
  for (const el of document.querySelectorAll("#assist-modes [data-assist]")) {
    el.setAttribute("aria-pressed", modes[el.dataset.assist] ? "true" : "false");
  }
}

// Every screen that waits for the patron gives up after its configured time ([ui.idle]); the
// warning with one-tap "more time" shows `idle_warning` seconds before the end. In voice mode
// the screens wait longer ([accessibility] voice_idle_factor), and the warning is said.
import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { idleFactor, modes } from "./assist.js";

const PING_EVERY_MS = 10000;
const MODAL_BEHIND = ["screen", "bar", "assist"];  // what the "more time?" warning covers  // at most this often, a touch tells the controller the patron is here

export class Idle {
  constructor(onEnd, onWarn) {
    this.onEnd = onEnd;
    this.onWarn = onWarn;
    this.name = null;
    this.kind = null;
    this.timers = [];
    this.lastPing = 0;
    this.endsAt = 0;
    this.total = 0;  // this screen's wait, in ms (tests read it)
  }

  /** Follow the screen shown now: `kind` is its [ui.idle] name, or none for no timeout. */
  watch(name, kind, info) {
    if (name === this.name && kind === this.kind) return;
    const arriving = !this.kind && kind;
    this.name = name;
    this.kind = kind;
    this.info = info;
    this.restart();
    if (arriving && modes.voice) this.ping(true);  // the controller's backstop waits longer too
  }

  restart() {
    this.clear();
    if (!this.kind) return;
    const total = this.info.idle[this.kind] * 1000 * idleFactor();
    this.total = total;
    const warning = this.info.idle_warning * 1000;
    this.endsAt = performance.now() + total;
    this.timers.push(setTimeout(() => this.warn(), Math.max(0, total - warning)));
    this.timers.push(setTimeout(() => this.end(), total));
  }

  clear() {
    for (const timer of this.timers) { clearTimeout(timer); clearInterval(timer); }
    this.timers = [];
    document.getElementById("idle").hidden = true;
    for (const id of MODAL_BEHIND) document.getElementById(id).inert = false;
    if (this.before?.isConnected) this.before.focus();  // back where the patron was
    this.before = null;
  }

  warn() {
    const box = document.getElementById("idle");
    const text = document.getElementById("idle-text");
    const more = document.getElementById("idle-more");
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((this.endsAt - performance.now()) / 1000));
      text.textContent = i18n.t("idle.warning", { seconds });
    };
    tick();
    more.textContent = i18n.t("idle.more");
    box.hidden = false;
    this.before = document.activeElement;
    for (const id of MODAL_BEHIND) document.getElementById(id).inert = true;  // the warning is modal
    more.focus();
    this.onWarn(text.textContent);
    this.timers.push(setInterval(tick, 1000));
  }

  end() {
    const name = this.name;
    this.clear();
    this.onEnd(name);
  }

  /** "More time": the screen's full length again, and the controller hears of it. */
  more() {
    this.restart();
    this.ping(true);
  }

  /** The patron touched or pressed something. */
  activity() {
    if (!this.kind) return;
    if (!document.getElementById("idle").hidden) return;  // only "more time" answers the warning
    this.restart();
    this.ping(false);
  }

  ping(now) {
    if (!this.kind || this.kind === "notice") return;
    const time = performance.now();
    if (!now && time - this.lastPing < PING_EVERY_MS) return;
    this.lastPing = time;
    api.post("/api/still-here", { voice: modes.voice });
  }
}

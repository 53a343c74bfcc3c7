// Which screen the state calls for, and every screen by name.
import * as start from "./start.js";
import * as browse from "./browse.js";
import * as session from "./session.js";
import * as returns from "./returns.js";

export const SCREENS = {
  starting: start.starting, out_of_service: start.outOfService, maintenance: start.maintenance,
  attract: start.attract, closed: start.closed, checking: start.checking, pin: start.pin,
  notice: start.notice, busy: start.busy,
  browse: browse.browse, detail: browse.detail,
  cart: session.cart, loans: session.loans, holds: session.holds, vending: session.vending,
  summary: session.summary, receipt: session.receipt,
  returning: returns.returning,
};

const VEND_STATES = ["fetching", "verifying", "presenting", "awaiting_take", "closing_pickup", "retracting"];
const RETURN_STATES = ["opening_return", "awaiting_insert", "closing_return", "identifying_return",
  "shelving", "handing_back", "diverting"];
const SESSION_VIEWS = ["browse", "detail", "cart", "loans", "holds", "summary", "receipt"];

/** A technician's job: behind the maintenance screen when one stands there; else the machine
 * looks as it was (a patron's card stops the job, and "checking" shows until it has). */
function servicingScreen(job) {
  if (!job || job.from_state === "maintenance") return "maintenance";
  if (job.yielding) return "checking";
  return job.from_state === "closed" ? "closed" : "attract";
}

/** The screen for the controller's state and what the patron is looking at. */
export function screenFor(snap, ui) {
  const state = snap.state;
  if (["starting", "homing", "recovering"].includes(state)) return "starting";
  if (state === "out_of_service") return "out_of_service";
  if (state === "maintenance") return "maintenance";
  if (state === "servicing") return servicingScreen(snap.job);
  if (state === "identifying" || state === "checking_pin") return "checking";
  if (state === "pin_entry") return "pin";
  if (VEND_STATES.includes(state)) return snap.session ? "vending" : "busy";
  if (RETURN_STATES.includes(state)) return "returning";
  if (snap.session) return SESSION_VIEWS.includes(ui.view) ? ui.view : "browse";
  if (ui.result) return "notice";
  return state === "closed" ? "closed" : "attract";
}

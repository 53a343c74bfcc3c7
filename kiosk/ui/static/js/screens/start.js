// Screens without a session: attract, closed, starting, out of service, checking, the PIN pad,
// and a notice (a refusal or a return's outcome) in plain words.
import { h, button } from "../dom.js";

function hoursTable(ctx) {
  const { t, i18n, ui } = ctx;
  const hours = ui.info.hours;
  if (hours.always_open) return h("p", { class: "hours" }, t("hours.always_open"));
  const rows = hours.week.map((day) => h("tr", {},
    h("td", {}, i18n.weekday(day.date)),
    h("td", {}, day.open
      ? t(day.past_midnight ? "hours.range_past_midnight" : "hours.range", { open: day.open, close: day.close })
      : t("hours.closed_day"))));
  return h("div", { class: "hours" }, h("h2", {}, t("hours.title")), h("table", {}, h("tbody", {}, rows)));
}

function returnButton(ctx) {
  return button(ctx.t("return.start"), () => ctx.post("/api/return"), { class: "primary", "data-action": "return" });
}

/** How a patron gets in now: a lost card reader leaves the app's QR code, a lost scanner the
 * card (both lost: the card reader's words; the technician is alerted either way). */
function waysIn(ui) {
  const readers = ui.snap?.readers || {};
  if (readers.card === false) return ["attract.qr_only", "attract.card_reader_down"];
  if (readers.scanner === false) return ["attract.card_only", "attract.scanner_down"];
  return ["attract.tap", "attract.where"];
}

export const attract = {
  key: (ctx) => JSON.stringify([ctx.ui.info.hours, waysIn(ctx.ui)]),
  draw(ctx) {
    const { t, ui } = ctx;
    const closes = ui.info.hours.closes_at;
    const [hint, where] = waysIn(ui);
    return h("section", { class: "stack attract" },
      h("h1", { class: "card-hint" }, t(hint)),
      h("p", { class: "lead" }, t(where)),
      closes ? h("p", {}, t("hours.closes_at", { time: ctx.i18n.moment(closes) })) : null,
      hoursTable(ctx),
      h("div", { class: "row" }, returnButton(ctx)));
  },
};

export const closed = {
  key: (ctx) => JSON.stringify(ctx.ui.info.hours),
  draw(ctx) {
    const { t, ui, i18n } = ctx;
    const next = ui.info.hours.next_opening;
    const returns = ui.info.policy.returns_when_closed;
    return h("section", { class: "stack attract" },
      h("h1", {}, t("closed.title")),
      h("p", { class: "lead" }, next ? t("closed.opens", { time: i18n.moment(next) }) : t("closed.unknown")),
      hoursTable(ctx),
      returns ? h("p", {}, t("closed.returns_open")) : h("p", {}, t("closed.returns_elsewhere")),
      returns ? h("div", { class: "row" }, returnButton(ctx)) : null);
  },
};

export const starting = {
  key: () => "",
  draw: ({ t }) => h("section", { class: "stack attract" }, h("h1", {}, t("starting.title")), h("p", { class: "lead" }, t("starting.body"))),
};

export const busy = {
  key: () => "",
  draw: ({ t }) => h("section", { class: "stack attract" }, h("h1", {}, t("busy.title")), h("p", { class: "lead" }, t("busy.body"))),
};

export const outOfService = {
  key: () => "",
  draw: ({ t }) => h("section", { class: "stack attract" },
    h("h1", {}, t("out_of_service.title")),
    h("p", { class: "lead" }, t("out_of_service.body")),
    h("p", {}, t("out_of_service.returns")),
    h("p", {}, t("out_of_service.loans_safe"))),
};

export const maintenance = {
  key: () => "",
  draw: ({ t }) => h("section", { class: "stack attract" },
    h("h1", {}, t("maintenance.title")), h("p", { class: "lead" }, t("maintenance.body"))),
};

export const checking = {
  key: () => "",
  draw: ({ t }) => h("section", { class: "stack attract" },
    h("h1", {}, t("checking.title")), h("p", { class: "lead", role: "status" }, t("checking.body"))),
};

export const pin = {
  idle: "pin",
  key: (ctx) => `${ctx.ui.pin || ""}|${ctx.ui.snap.notice_seq}`,
  draw(ctx) {
    const { t, ui } = ctx;
    ui.pin = ui.pin || "";
    const bad = ui.snap.notice && ui.snap.notice.code === "bad_pin";
    const type = (digit) => { if (ui.pin.length < 8) { ui.pin += digit; ctx.render(); } };
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => button(d, () => type(d), { "data-focus-key": `pin-${d}` }));
    keys.push(button(t("pin.clear"), () => { ui.pin = ""; ctx.render(); }, { class: "word", "data-focus-key": "pin-clear" }));
    keys.push(button("0", () => type("0"), { "data-focus-key": "pin-0" }));
    keys.push(button(t("pin.back"), () => { ui.pin = ui.pin.slice(0, -1); ctx.render(); }, { class: "word", "data-focus-key": "pin-back" }));
    const send = async () => { const value = ui.pin; ui.pin = ""; await ctx.post("/api/pin", { pin: value }); };
    return h("section", { class: "stack" },
      h("h1", {}, t("pin.title")),
      bad ? h("p", { class: "bad", role: "alert" }, t("notice.bad_pin")) : h("p", { class: "lead" }, t("pin.body")),
      h("p", { class: "pin-dots" }, h("span", { "aria-hidden": "true" }, "●".repeat(ui.pin.length) || " "),
        h("span", { class: "sr-only", "data-speech": t("pin.entered", { count: ui.pin.length }) }, t("pin.entered", { count: ui.pin.length }))),
      h("div", { class: "pinpad", role: "group", "aria-label": t("pin.pad") }, keys),
      h("div", { class: "row end" },
        button(t("common.cancel"), () => ctx.endSession(), { class: "danger", "data-focus-key": "pin-cancel", "data-back": true }),
        button(t("pin.ok"), send, { class: "primary", disabled: ui.pin.length < 4, "data-focus-key": "pin-ok" })));
  },
};

/** The words for a notice: its title and, when there is one, what to do. */
export function noticeText(ctx, notice, title = "") {
  const { t, i18n } = ctx;
  const code = notice.code === "return_rejected" ? `return_rejected.${notice.reason}` : notice.code;
  const vars = { ...notice, until: i18n.date(notice.until), due: i18n.date(notice.due),
    days: notice.days_late || 0, count: notice.count || 1, title };
  const known = i18n.has(`notice.${code}`);
  if (!known) i18n.missing.add(`${i18n.language()}:notice.${code}`);  // tests fail on it
  const key = known ? code : "unspecified";
  const help = i18n.has(`notice.${key}.help`) ? t(`notice.${key}.help`, vars) : null;
  return { title: t(`notice.${key}`, vars), help };
}

export const notice = {
  idle: "notice",
  key: (ctx) => `${ctx.ui.snap.notice_seq}|${JSON.stringify(ctx.ui.result)}`,
  draw(ctx) {
    const { t, ui } = ctx;
    const result = ui.result;
    const good = result.code === "return_accepted";
    const words = noticeText(ctx, result);
    const late = good && result.days_late > 0;
    return h("section", { class: "stack" },
      h("div", { class: `notice-box stack ${good ? "good" : ""}` },
        h("h1", {}, words.title),
        words.help ? h("p", { class: "lead" }, words.help) : null,
        late ? h("p", { class: "lead warn" }, t("notice.return_accepted.late", { days: result.days_late })) : null,
        result.library_message ? h("div", { class: "library-words" },
          h("p", { class: "muted" }, t("notice.library_says")), h("p", {}, result.library_message)) : null),
      h("div", { class: "row end" }, button(t("common.ok"), () => { ui.result = null; ctx.render(); }, { class: "primary", "data-action": "ok", "data-back": true })));
  },
};

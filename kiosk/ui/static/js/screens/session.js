// The patron's own screens: cart, loans (renew), holds, the vend's progress, the summary with
// due dates, and the receipt (on screen or as a QR code with titles and due dates only).
import { h, button } from "../dom.js";
import * as api from "../api.js";

function title(ctx, itemId) {
  const book = (ctx.ui.catalogue?.books || []).find((b) => b.item_id === itemId);
  return book ? book.title : itemId;
}

function back(ctx) {
  return button(ctx.t("common.back"), () => ctx.go("browse"), { "data-action": "back", "data-back": true });
}

export const cart = {
  idle: "cart",
  key: (ctx) => JSON.stringify([ctx.ui.snap.session, !!ctx.ui.catalogue]),
  draw(ctx) {
    const { t, ui } = ctx;
    const session = ui.snap.session;
    const chosen = session.prefetch;
    const items = session.cart.map((itemId) => h("li", { class: "book", "data-speech": title(ctx, itemId) },
      h("span", { class: "title" }, title(ctx, itemId)),
      chosen && chosen.item_id === itemId ? h("span", { class: "ok" }, t(chosen.ready ? "cart.waiting_at_door" : "cart.on_its_way")) : null,
      button(t("cart.remove"), () => ctx.post("/api/cart/remove", { item_id: itemId }), { "data-action": "remove", "data-item": itemId, "data-focus-key": `remove-${itemId}` })));
    const confirm = async () => {
      const answer = await ctx.post("/api/cart/confirm");
      if (answer.ok) ui.order = answer.result.order;
    };
    return h("section", { class: "stack" },
      h("h1", {}, t("cart.title")),
      h("p", { class: "lead" }, t("cart.limit", { max: ui.info.policy.max_loans, remaining: session.remaining })),
      session.offline ? h("p", { class: "warn" }, t("cart.offline_limit", { count: ui.info.policy.offline_max_loans })) : null,
      items.length ? h("ul", { class: "books" }, items) : h("p", {}, t("cart.empty")),
      h("div", { class: "row" }, back(ctx),
        button(t("cart.confirm", { count: session.cart.length }), confirm, { class: "primary", disabled: !items.length, "data-action": "confirm", "data-first": true })));
  },
};

function loanRow(ctx, loan) {
  const { t, i18n } = ctx;
  const today = i18n.today();  // the machine's day, not UTC's
  const late = loan.due < today;
  const due = t(late ? "loans.overdue" : "loans.due", { due: i18n.date(loan.due) });
  return h("li", { class: "book", "data-speech": `${loan.title}, ${due}` },
    h("span", { class: "title" }, loan.title),
    h("span", { class: late ? "bad" : "" }, due),
    loan.renewals ? h("span", { class: "muted" }, t("loans.renewed_times", { count: loan.renewals })) : null,
    button(t("loans.renew"), () => ctx.post("/api/renew", { item_id: loan.item_id }), { "data-action": "renew", "data-item": loan.item_id, "data-focus-key": `renew-${loan.item_id}` }));
}

export const loans = {
  idle: "loans",
  key: (ctx) => JSON.stringify([ctx.ui.loans, ctx.ui.snap.state, ctx.ui.snap.notice_seq]),
  draw(ctx) {
    const { t, ui } = ctx;
    if (ui.loans === null || ui.loansSeq !== ui.snap.notice_seq) {
      ui.loansSeq = ui.snap.notice_seq;
      api.get("/api/loans").then((answer) => { if (answer.ok) { ui.loans = answer.result; ctx.render(); } });
    }
    const list = ui.loans || [];
    const asking = ui.snap.state === "renewing";
    return h("section", { class: "stack" },
      h("h1", {}, t("loans.title")),
      asking ? h("p", { role: "status" }, t("loans.asking")) : null,
      ui.loans === null ? h("p", { role: "status" }, t("browse.loading"))
        : list.length ? h("ul", { class: "books" }, list.map((loan) => loanRow(ctx, loan))) : h("p", { role: "status" }, t("loans.none")),
      h("p", { class: "muted" }, t("loans.renew_rule", { days: ui.info.policy.renewal_days, times: ui.info.policy.max_renewals })),
      h("div", { class: "row" }, back(ctx)));
  },
};

export const holds = {
  idle: "holds",
  key: (ctx) => JSON.stringify(ctx.ui.holds),
  draw(ctx) {
    const { t, ui, i18n } = ctx;
    if (ui.holds === null) api.get("/api/holds").then((answer) => { ui.holds = answer.ok ? answer.result : []; ctx.render(); });
    const list = (ui.holds || []).map((hold) => {
      const state = hold.ready ? t("holds.ready", { until: i18n.moment(hold.until) }) : t("holds.waiting");
      return h("li", { class: "book", "data-speech": `${hold.title}, ${state}` },
        h("span", { class: "title" }, hold.title), h("span", { class: hold.ready ? "ok" : "" }, state));
    });
    return h("section", { class: "stack" },
      h("h1", {}, t("holds.title")),
      ui.holds === null ? h("p", { role: "status" }, t("browse.loading")) : list.length ? h("ul", { class: "books" }, list) : h("p", { role: "status" }, t("holds.none")),
      h("p", { class: "muted" }, t("hold.where", { days: ui.info.policy.hold_days })),
      h("div", { class: "row" }, back(ctx)));
  },
};

const STEP_KEYS = { fetching: "vend.fetching", verifying: "vend.verifying", take_your_book: "vend.take",
  door_closing: "vend.door_closing", returning_to_shelf: "vend.returning_to_shelf" };

function countdown(ctx, seconds, key) {
  const spoken = key === "vend.eta" ? "voice.eta" : "voice.door_closes_in";  // said once, in words
  const left = Math.max(0, Math.ceil(seconds - (performance.now() - ctx.ui.stepSince) / 1000));
  const line = h("p", { class: "countdown", role: "timer", "aria-live": "off", "data-speech": ctx.t(spoken, { seconds: left }) });
  const since = ctx.ui.stepSince;
  let started = false;
  const tick = () => {
    if (started && !line.isConnected) { clearInterval(timer); return; }  // the screen moved on
    started = true;
    const left = Math.max(0, Math.ceil(seconds - (performance.now() - since) / 1000));
    line.textContent = ctx.t(key, { seconds: left });
  };
  const timer = setInterval(tick, 500);
  tick();
  return line;
}

export const vending = {
  key: (ctx) => JSON.stringify([ctx.ui.snap.progress, ctx.ui.snap.session?.vended, ctx.ui.order, !!ctx.ui.catalogue]),
  draw(ctx) {
    const { t, ui, i18n } = ctx;
    const session = ui.snap.session;
    const progress = ui.snap.progress || {};
    const order = ui.order.length ? ui.order : [...session.vended, progress.item_id, ...session.to_vend].filter(Boolean);
    const rows = [...new Set(order)].map((itemId) => {
      const taken = session.vended.includes(itemId);
      const now = progress.item_id === itemId;
      return h("li", { "aria-current": now ? "step" : null },
        h("p", { class: "title" }, title(ctx, itemId)),
        h("p", { class: taken ? "ok" : "muted" }, taken ? t("vend.taken", { due: i18n.date(session.due[itemId]) }) : now ? t(STEP_KEYS[progress.step] || "vend.working") : t("vend.waiting")));
    });
    const step = progress.step;
    let big = h("p", { class: "big", role: "status" }, t(STEP_KEYS[step] || "vend.working"));
    if (step === "door_closing") big = h("p", { class: "door-warning", role: "alert" }, t("vend.door_closing"));
    if (step === "take_your_book") big = h("p", { class: "big", role: "alert" }, t("vend.take"));
    const timed = progress.seconds !== undefined && ["fetching", "take_your_book"].includes(step);
    return h("section", { class: "stack" },
      h("h1", {}, t("vend.title")),
      big,
      timed ? countdown(ctx, progress.seconds, step === "fetching" ? "vend.eta" : "vend.door_closes_in") : null,
      h("ol", { class: "progress" }, rows));
  },
};

export const summary = {
  idle: "summary",
  key: (ctx) => JSON.stringify([ctx.ui.snap.session?.vended, ctx.ui.snap.session?.due, ctx.ui.snap.session?.remaining, !!ctx.ui.catalogue]),
  draw(ctx) {
    const { t, ui, i18n } = ctx;
    const session = ui.snap.session;
    const rows = session.vended.map((itemId) => {
      const due = t("loans.due", { due: i18n.date(session.due[itemId]) });
      return h("li", { class: "book", "data-speech": `${title(ctx, itemId)}, ${due}` },
        h("span", { class: "title" }, title(ctx, itemId)), h("span", {}, due));
    });
    return h("section", { class: "stack" },
      h("h1", {}, t("summary.title")),
      h("ul", { class: "books" }, rows),
      h("h2", {}, t("receipt.question")),
      h("div", { class: "row" },
        button(t("receipt.on_screen"), () => ctx.go("receipt", { receipt: "screen" }), { "data-receipt": "screen" }),
        button(t("receipt.qr"), () => ctx.go("receipt", { receipt: "qr" }), { "data-receipt": "qr" }),
        button(t("receipt.none"), () => ctx.endSession(), { "data-receipt": "none" })),
      h("div", { class: "row" },
        session.remaining > 0 ? button(t("summary.more"), () => ctx.go("browse"), { "data-action": "more" }) : null,
        button(t("session.finish"), () => ctx.endSession(), { class: "primary", "data-action": "finish" })));
  },
};

export const receipt = {
  idle: "receipt",
  key: (ctx) => JSON.stringify([ctx.ui.receipt, ctx.ui.snap.session?.vended]),
  draw(ctx) {
    const { t, ui, i18n } = ctx;
    const session = ui.snap.session;
    let body;
    if (ui.receipt === "qr") {
      body = h("div", { class: "stack" },
        h("p", { class: "lead" }, t("receipt.qr_help")),
        h("div", { class: "qr" }, h("img", { src: `/api/receipt.svg?n=${session.vended.length}`, alt: t("receipt.qr_alt"), id: "receipt-qr" })));
    } else {
      body = h("div", { class: "receipt stack", id: "receipt" },
        session.vended.map((itemId) => {
          const due = t("loans.due", { due: i18n.date(session.due[itemId]) });
          return h("p", { "data-speech": `${title(ctx, itemId)}, ${due}` }, h("strong", {}, title(ctx, itemId)), " — ", due);
        }));
    }
    const other = ui.receipt === "qr" ? "screen" : "qr";
    return h("section", { class: "stack" },
      h("h1", {}, t("receipt.title")), body,
      h("div", { class: "row" },
        button(t(other === "qr" ? "receipt.qr" : "receipt.on_screen"), () => ctx.go("receipt", { receipt: other }), { "data-receipt": other }),
        button(t("session.finish"), () => ctx.endSession(), { class: "primary", "data-action": "finish" })));
  },
};

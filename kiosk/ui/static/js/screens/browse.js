// Browsing the machine's books (popular, new, by subject), searching them with the on-screen
// keyboard (results as each key is typed), and one book's page (borrow, hold, kept for you).
import { h, button } from "../dom.js";
import { keyboard } from "../keyboard.js";
import { index, search } from "../search.js";

const SHOWN = 40;  // books listed at once; the count says how many there are
const HIDDEN = ["held", "unavailable"];  // kept for someone else, or not on a shelf
let indexed = { source: null, entries: [] };

function visibleBooks(ctx) {
  const books = ctx.ui.catalogue ? ctx.ui.catalogue.books : [];
  return books.filter((book) => !HIDDEN.includes(book.availability));
}

function searchIndex(ctx) {
  const source = ctx.ui.catalogue;
  if (indexed.source !== source) indexed = { source, entries: visibleBooks(ctx).map(index) };
  return indexed.entries;
}

/** The patron's bar: what they may still borrow, and the way to loans, holds, cart, finish. */
export function sessionBar(ctx) {
  const { t, ui } = ctx;
  const session = ui.snap.session;
  const cartCount = session.cart.length;
  return h("div", { class: "stack" },
    h("p", { class: "lead" }, session.remaining > 0 ? t("browse.remaining", { count: session.remaining })
      : t("browse.limit_reached")),
    h("nav", { class: "row", "aria-label": t("browse.menu") },
      button(t("cart.open", { count: cartCount }), () => ctx.go("cart"), { class: cartCount ? "primary" : "", "data-action": "cart", "data-focus-key": "nav-cart" }),
      button(t("loans.open"), () => ctx.go("loans", { loans: null }), { "data-action": "loans", "data-focus-key": "nav-loans" }),
      button(t("holds.open"), () => ctx.go("holds", { holds: null }), { "data-action": "holds", "data-focus-key": "nav-holds" }),
      button(t("session.finish"), () => ctx.endSession(), { class: "danger", "data-action": "finish", "data-focus-key": "nav-finish" })));
}

export function availabilityText(ctx, book) {
  const { t, i18n } = ctx;
  return t(`availability.${book.availability}`, { due: i18n.date(book.due) });
}

function bookCard(ctx, book) {
  const { t } = ctx;
  const inCart = ctx.ui.snap.session?.cart.includes(book.item_id);
  return h("li", {}, button(
    [h("span", { class: "title" }, book.title),
     h("span", { class: "authors" }, book.authors || t("book.no_author")),
     h("span", { class: `availability ${book.availability}` }, inCart ? t("book.in_cart") : availabilityText(ctx, book))],
    () => ctx.go("detail", { book: book.item_id }),
    { class: "book", "data-item": book.item_id, "data-focus-key": `book-${book.item_id}` }));
}

function bookList(ctx, books) {
  const { t } = ctx;
  return h("div", { class: "stack", id: "results" },
    h("p", { class: "count", role: "status" }, t("browse.count", { count: books.length })),
    h("ul", { class: "books" }, books.slice(0, SHOWN).map((book) => bookCard(ctx, book))));
}

function ordered(ctx) {
  const { ui } = ctx;
  const books = visibleBooks(ctx);
  if (ui.tab === "new") return [...books].sort((a, b) => (b.year ?? -1e9) - (a.year ?? -1e9));
  if (ui.tab === "subject") {
    return books.filter((b) => subjectClass(b.subject) === ui.subject).sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0));
  }
  return [...books].sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0));
}

/** The main class of a KDC number ("813.6" → "800"): the subjects the screen has words for. */
export function subjectClass(code) {
  return /^[0-9]/.test(code || "") ? `${code[0]}00` : "other";
}

function subjects(ctx) {
  const { t, ui } = ctx;
  const codes = [...new Set(visibleBooks(ctx).map((b) => subjectClass(b.subject)))].sort();
  return h("div", { class: "row", role: "group", "aria-label": t("browse.subjects") },
    codes.map((code) => button(t(`subject.${code}`), () => ctx.go("browse", { subject: code }),
      { "aria-pressed": ui.subject === code ? "true" : "false", "data-subject": code, "data-focus-key": `subject-${code}` })));
}

function searchPanel(ctx) {
  const { t, ui } = ctx;
  const box = h("div", { class: "search-box", role: "textbox", "aria-readonly": "true", "aria-label": t("search.label"), id: "query" });
  const results = h("div", { class: "results" });
  const show = () => {
    box.replaceChildren(ui.query ? ui.query : h("span", { class: "placeholder" }, t("search.placeholder")));
    results.replaceChildren(ui.query.trim() ? bookList(ctx, search(searchIndex(ctx), ui.query)) : h("p", { class: "muted" }, t("search.hint")));
  };
  show();
  const keys = keyboard({ t, typed: ui.typed, mode: ui.kbMode, onText(text, typed, mode) {
    Object.assign(ui, { query: text, typed: [...typed], kbMode: mode === "shifted" ? "hangul" : mode });
    show();
  } });
  return h("div", { class: "stack" }, box, results, keys);
}

export const browse = {
  idle: "browse",
  key: (ctx) => JSON.stringify([ctx.ui.tab, ctx.ui.subject, ctx.ui.snap.session, !!ctx.ui.catalogue, ctx.ui.catalogue?.books.length]),
  draw(ctx) {
    const { t, ui } = ctx;
    const tabs = ["popular", "new", "subject", "search"].map((tab) => button(t(`browse.tab.${tab}`),
      () => ctx.go("browse", { tab, subject: tab === "subject" ? ui.subject : null }),
      { "aria-pressed": ui.tab === tab ? "true" : "false", "data-tab": tab, "data-focus-key": `tab-${tab}` }));
    let body;
    if (!ui.catalogue) body = h("p", { role: "status" }, t("browse.loading"));
    else if (ui.tab === "search") body = searchPanel(ctx);
    else if (ui.tab === "subject" && !ui.subject) body = subjects(ctx);
    else body = h("div", { class: "stack" }, ui.tab === "subject" ? subjects(ctx) : null, bookList(ctx, ordered(ctx)));
    return h("section", { class: "stack" },
      h("h1", {}, t("browse.title")), sessionBar(ctx),
      h("div", { class: "tabs", role: "group", "aria-label": t("browse.tabs") }, tabs), body);
  },
};

async function addToCart(ctx, book) {
  const answer = await ctx.post("/api/cart/add", { item_id: book.item_id });
  if (answer.ok) { ctx.toast("cart.added", { title: book.title }); ctx.go("browse"); }
}

async function placeHold(ctx, book) {
  const answer = await ctx.post("/api/hold", { item_id: book.item_id });
  if (answer.ok) { ctx.toast("hold.placed", { title: book.title }); await ctx.loadCatalogue(); ctx.render(); }
}

function detailActions(ctx, book) {
  const { t, ui } = ctx;
  const session = ui.snap.session;
  const inCart = session.cart.includes(book.item_id);
  if (inCart) return [h("p", { class: "ok" }, t("book.in_cart")), button(t("cart.remove"), () => ctx.post("/api/cart/remove", { item_id: book.item_id }), { "data-action": "remove" })];
  if (["available", "held_for_you"].includes(book.availability)) {
    if (session.cart.length >= session.remaining) return [h("p", { class: "warn" }, t("cart.full", { remaining: session.remaining }))];
    return [button(t("book.borrow"), () => addToCart(ctx, book), { class: "primary", "data-action": "add" })];
  }
  if (book.availability === "on_loan") {
    return [h("p", {}, t("hold.where", { days: ui.info.policy.hold_days })),
      button(t("book.hold"), () => placeHold(ctx, book), { class: "primary", "data-action": "hold" })];
  }
  return [];
}

export const detail = {
  idle: "detail",
  key: (ctx) => JSON.stringify([ctx.ui.book, ctx.ui.snap.session?.cart, ctx.ui.snap.session?.remaining, ctx.ui.catalogue?.books.find((b) => b.item_id === ctx.ui.book)]),
  draw(ctx) {
    const { t, ui } = ctx;
    const book = (ui.catalogue?.books || []).find((b) => b.item_id === ui.book);
    const back = button(t("common.back"), () => ctx.go("browse"), { "data-action": "back", "data-back": true });
    if (!book) return h("section", { class: "stack" }, h("h1", {}, t("book.gone")), back);
    const facts = [book.authors || t("book.no_author"),
      book.year ? t("book.year", { year: String(book.year) }) : null,  // a year, not "1,997"
      book.subject ? t(`subject.${subjectClass(book.subject)}`) : null].filter(Boolean);
    return h("section", { class: "stack" },
      h("h1", {}, book.title),
      h("p", { class: "lead" }, facts.join(" · ")),
      h("p", { class: `lead availability ${book.availability}` }, availabilityText(ctx, book)),
      book.availability === "held_for_you" ? h("p", {}, t("book.held_for_you_help")) : null,
      h("div", { class: "row" }, detailActions(ctx, book)),
      h("div", { class: "row" }, back));
  },
};

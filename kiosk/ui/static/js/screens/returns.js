// The return slot, step by step: insert the book, it is read, accepted (and shelved) or handed
// back with the reason. The outcome stays on screen afterwards as a notice.
import { h } from "../dom.js";
import { noticeText } from "./start.js";

const STEPS = {
  insert_your_book: "return.insert",
  checking_your_book: "return.reading",
  scan_book_barcode: "return.scan_barcode",
  insert_again: "return.insert_again",
  shelving: "return.shelving",
  take_back_your_book: "return.take_back",
};

export const returning = {
  key: (ctx) => JSON.stringify([ctx.ui.snap.state, ctx.ui.snap.progress, ctx.ui.snap.notice_seq]),
  draw(ctx) {
    const { t, ui } = ctx;
    const snap = ui.snap;
    const step = snap.progress ? snap.progress.step : null;
    const notice = snap.notice && ["return_accepted", "return_rejected"].includes(snap.notice.code) ? snap.notice : null;
    const words = notice && ["shelving", "take_back_your_book"].includes(step) ? noticeText(ctx, notice) : null;
    const late = notice && notice.code === "return_accepted" && notice.days_late > 0;
    const tagless = notice && notice.code === "return_accepted" && notice.tag_unreadable;
    return h("section", { class: "stack attract" },
      h("h1", {}, t("return.title")),
      h("p", { class: "big", role: "status" }, t(STEPS[step] || "return.opening")),
      step === "insert_your_book" ? h("p", { class: "lead" }, t("return.insert_help")) : null,
      step === "scan_book_barcode" ? h("p", { class: "lead" }, t("return.scan_barcode_help")) : null,
      words ? h("p", { class: "lead" }, words.title) : null,
      words && words.help ? h("p", {}, words.help) : null,
      late ? h("p", { class: "lead warn" }, t("notice.return_accepted.late", { days: notice.days_late })) : null,
      tagless ? h("p", {}, t("notice.return_accepted.tag_unreadable")) : null);
  },
};

// The on-screen keyboard inside the page: Hangul (two-set layout, syllables composed from jamo
// as they are typed, by es-hangul), Latin letters and digits. It never uses the system keyboard.
import { assemble } from "../vendor/es-hangul/index.mjs";
import { h, button } from "./dom.js";

const LAYOUTS = {
  hangul: [["ㅂ", "ㅈ", "ㄷ", "ㄱ", "ㅅ", "ㅛ", "ㅕ", "ㅑ", "ㅐ", "ㅔ"],
           ["ㅁ", "ㄴ", "ㅇ", "ㄹ", "ㅎ", "ㅗ", "ㅓ", "ㅏ", "ㅣ"],
           ["ㅋ", "ㅌ", "ㅊ", "ㅍ", "ㅠ", "ㅜ", "ㅡ"]],
  shifted: [["ㅃ", "ㅉ", "ㄸ", "ㄲ", "ㅆ", "ㅛ", "ㅕ", "ㅑ", "ㅒ", "ㅖ"],
            ["ㅁ", "ㄴ", "ㅇ", "ㄹ", "ㅎ", "ㅗ", "ㅓ", "ㅏ", "ㅣ"],
            ["ㅋ", "ㅌ", "ㅊ", "ㅍ", "ㅠ", "ㅜ", "ㅡ"]],
  latin: [["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"],
          ["a", "s", "d", "f", "g", "h", "j", "k", "l"],
          ["z", "x", "c", "v", "b", "n", "m"]],
  digits: [["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"], [".", ",", "'", "-", "&", ":", "!", "?"]],
};
export const MAX_KEYS = 60;

/** A keyboard whose typed keys are kept as a list; `onText` gets the composed text each key. */
export function keyboard({ t, typed = [], mode = "hangul", onText }) {
  const keys = [...typed];
  let layout = mode;
  const root = h("div", { class: "keyboard", role: "group", "aria-label": t("keyboard.label") });
  const changed = () => onText(keys.length ? assemble(keys) : "", keys, layout);
  const press = (key) => { if (keys.length < MAX_KEYS) { keys.push(key); changed(); } if (layout === "shifted") { layout = "hangul"; draw(); } };
  function draw() {
    root.replaceChildren();
    for (const row of LAYOUTS[layout]) {
      root.append(h("div", { class: "keys" }, row.map((key) => button(key, () => press(key), { "data-key": key, "aria-label": key }))));
    }
    const modes = h("div", { class: "keys" });
    if (layout === "hangul" || layout === "shifted") {
      modes.append(button(t("keyboard.shift"), () => { layout = layout === "shifted" ? "hangul" : "shifted"; draw(); },
        { class: "wide", "aria-pressed": layout === "shifted" ? "true" : "false", "data-key": "shift" }));
    }
    for (const name of ["hangul", "latin", "digits"]) {
      if (name === layout || (name === "hangul" && layout === "shifted")) continue;
      modes.append(button(t(`keyboard.${name}`), () => { layout = name; draw(); changed(); }, { class: "wide", "data-mode": name }));
    }
    modes.append(button(t("keyboard.space"), () => press(" "), { class: "space", "data-key": "space" }));
    modes.append(button(t("keyboard.backspace"), () => { keys.pop(); changed(); }, { class: "wide", "data-key": "backspace" }));
    modes.append(button(t("keyboard.clear"), () => { keys.length = 0; changed(); }, { class: "wide", "data-key": "clear" }));
    root.append(modes);
  }
  draw();
  return root;
}

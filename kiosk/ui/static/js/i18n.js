// Translations from /i18n/<lang>.json; dates and numbers in the patron's language.
const tables = {};
const LOCALES = { ko: "ko-KR", en: "en-GB" };
let current = "ko";
let zone = "Asia/Seoul";
export const missing = new Set();  // keys asked for that a language lacks (tests read it)

/** Load every language's table; the first is the default. */
export async function load(languages, timezone) {
  for (const lang of languages) {
    const response = await fetch(`/i18n/${lang}.json`);
    tables[lang] = await response.json();
  }
  current = languages[0];
  zone = timezone || zone;
}

export function language() { return current; }
export function other() { return current === "ko" ? "en" : "ko"; }

/** Switch language; the page's lang attribute follows. */
export function use(lang) {
  current = lang;
  document.documentElement.lang = lang;
}

/** Whether a key exists in the current language. */
export function has(key) { return key in (tables[current] || {}); }

/** The text of `key` in the current language, with {name} filled from `vars`. */
export function t(key, vars = {}, lang = current) {
  const text = (tables[lang] || {})[key];
  if (text === undefined) {
    missing.add(`${lang}:${key}`);
    console.error(`missing translation ${lang}:${key}`);
    return `[[${key}]]`;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => format(vars[name]));
}

function format(value) {
  if (typeof value === "number") return number(value);
  return value === undefined || value === null ? "" : String(value);
}

/** A number in the patron's language. */
export function number(value) {
  return new Intl.NumberFormat(LOCALES[current]).format(value);
}

/** A calendar date ("2026-12-21") in the patron's language, with its weekday. */
export function date(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const format = (options) => new Intl.DateTimeFormat(LOCALES[current], { ...options, timeZone: "UTC" }).format(day);
  const text = format({ year: "numeric", month: "long", day: "numeric" });
  return `${text} (${format({ weekday: "short" })})`;  // the weekday never runs into the next word
}

/** A moment (ISO with zone) as the machine's local date and time, in the patron's language. */
export function moment(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(LOCALES[current], {
    month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: zone,
  }).format(new Date(iso));
}

/** Today's date ("2026-12-21") in the machine's time zone. */
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date());
}

/** A day's name (from "2026-12-21") in the patron's language. */
export function weekday(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALES[current], { weekday: "long", month: "numeric", day: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** The weekdays' short names ("Mon") to their full names, in the patron's language. */
export function weekdayNames() {
  const names = {};
  for (let d = 4; d < 11; d += 1) {  // 4 to 10 January 1970: Sunday to Saturday
    const day = new Date(Date.UTC(1970, 0, d));
    const name = (weekday) => new Intl.DateTimeFormat(LOCALES[current], { weekday, timeZone: "UTC" }).format(day);
    names[name("short")] = name("long");
  }
  return names;
}

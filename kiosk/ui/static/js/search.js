// Searching the machine's books as Korean users expect: by title or author, Latin letters in
// any case, Hangul as it is being composed (jamo by jamo), and by initial consonants (ㅊㅅ).
import { disassemble, getChoseong } from "../vendor/es-hangul/index.mjs";

const CONSONANTS = /^[\u3131-\u314e\s]+$/;  // compatibility jamo ㄱ..ㅎ only

/** What a book is searched by, computed once per catalogue. */
export function index(book) {
  const text = `${book.title} ${book.authors || ""}`;
  const folded = text.normalize("NFC").toLocaleLowerCase();
  return { book, folded, jamo: disassemble(folded), initials: getChoseong(folded).replace(/\s+/g, "") };
}

/** The indexed books that match `query`, in their given order. */
export function search(indexed, query) {
  const needle = query.normalize("NFC").toLocaleLowerCase().trim();
  if (!needle) return [];
  if (CONSONANTS.test(needle)) {
    const initials = needle.replace(/\s+/g, "");
    return indexed.filter((entry) => entry.initials.includes(initials) || entry.jamo.includes(initials)).map((e) => e.book);
  }
  const jamo = disassemble(needle);
  return indexed.filter((entry) => entry.folded.includes(needle) || entry.jamo.includes(jamo)).map((e) => e.book);
}

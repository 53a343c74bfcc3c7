// Building the screen: every text goes in as a text node, never as markup.

/** An element with attributes, listeners (onclick...) and children (nodes or text). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children: nodes as they are, anything else as text. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A button that runs `action` when pressed (touch, click, Enter or Space). */
export function button(label, action, props = {}) {
  return h("button", { type: "button", ...props, onclick: (event) => { event.preventDefault(); action(event); } }, label);
}

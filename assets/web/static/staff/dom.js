// DOM helpers for the staff pages. Every piece of data reaches the page as
// a text node or an attribute value set through the DOM API, never through
// innerHTML, so a field named "<script>" shows as text everywhere.

/**
 * h builds an element. attrs: "class", "text", "style" (object), "on<event>"
 * (function), "dataset" (object), boolean properties (disabled, checked,
 * hidden, selected) and any other attribute (set with setAttribute).
 * Children are nodes, strings (text nodes), arrays, or null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') continue; // set after the children: a <select> needs its options first
    else if (k === 'disabled' || k === 'checked' || k === 'hidden' || k === 'selected' || k === 'required') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  if (attrs && attrs.value !== undefined && attrs.value !== null) el.value = attrs.value;
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** replace empties el and appends children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** $ finds one element (throws if missing, so a typo fails loudly in tests). */
export function $(sel, root = document) {
  const el = root.querySelector(sel);
  if (!el) throw new Error('missing element ' + sel);
  return el;
}

/** $$ finds all elements as an array. */
export function $$(sel, root = document) {
  return Array.from(root.querySelectorAll(sel));
}

/** typing reports whether a keyboard event belongs to a form control. */
export function typing(ev) {
  const t = ev.target;
  if (!(t instanceof Element)) return false;
  return t.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null;
}

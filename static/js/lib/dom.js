// Small DOM helpers shared by the page modules.

export const $ = (id) => document.getElementById(id);

// Text only when it changed: no mutation (and no screen-reader chatter) for the same value.
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

// A table cell with text ("—" when empty) appended to a row.
export function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined || text === "" ? "—" : text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// Puts exactly `nodes`, in order, in `parent`, moving or removing only the children that differ:
// a node already in its place is not touched (no relayout, nothing announced again in a live
// region).
export function placeChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.childNodes]) if (!wanted.has(child)) child.remove();
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else parent.insertBefore(node, at);
  }
}

// The rows of a live table, kept by key: an item's row is built again only when what it shows
// changed (`sig`), so a push that changes one order touches one row. `after(item, tr)` may give
// a row to keep right after the item's (an open form, say).
export function keyedRows(tbody) {
  let shown = new Map(); // key -> {sig, tr}
  return function render(items, { key, sig, build, after = () => null }) {
    const next = new Map();
    const nodes = [];
    for (const item of items) {
      const k = key(item);
      const s = sig(item);
      const held = shown.get(k);
      const tr = held && held.sig === s ? held.tr : build(item);
      next.set(k, { sig: s, tr });
      nodes.push(tr);
      const extra = after(item, tr);
      if (extra) nodes.push(extra);
    }
    shown = next;
    placeChildren(tbody, nodes);
  };
}

export function button(label, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

// "2026-12-03T08:16:39.123+00:00" -> "2026-12-03 08:16:39".
export const when = (iso) => (iso || "").replace("T", " ").substring(0, 19);

// Each error next to its field ([data-error-for=<name>], named by the field's
// aria-describedby), the field marked aria-invalid; errors with no visible field of their own go
// to the form's general line ([data-error-for=__all__]). `accept(name, input, slot)` may veto a
// field (e.g. one hidden for the chosen order type). Returns how many fields were marked.
export function showFieldErrors(form, errors, accept = () => true) {
  for (const el of form.querySelectorAll("[data-error-for]")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const general = [];
  let marked = 0;
  for (const [name, msgs] of Object.entries(errors || {})) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = form.elements[name];
    if (slot && name !== "__all__" && input instanceof HTMLElement && input.type !== "hidden" &&
        accept(name, input, slot)) {
      slot.textContent = msgs.join(" ");
      input.setAttribute("aria-invalid", "true");
      if (slot.id && !(input.getAttribute("aria-describedby") || "").split(" ").includes(slot.id)) {
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + slot.id).trim());
      }
      marked += 1;
    } else {
      general.push(...msgs);
    }
  }
  const all = form.querySelector('[data-error-for="__all__"]');
  if (all) all.textContent = general.join(" ");
  return marked;
}

// <select data-autosubmit>: choosing an option submits its form (the CSP forbids onchange=).
// <select data-navigate>: choosing an option goes to the URL in its value.
// <form data-confirm="question">: submitted only once the person agrees.
export function wireDeclarativeControls(root = document) {
  for (const el of root.querySelectorAll("select[data-autosubmit]")) {
    el.addEventListener("change", () => el.form && el.form.submit());
  }
  for (const el of root.querySelectorAll("select[data-navigate]")) {
    el.addEventListener("change", () => location.assign(el.value));
  }
  for (const form of root.querySelectorAll("form[data-confirm]:not([data-confirm-by-script])")) {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }
}

// Replace box's children with the HTML fragment at url (the server renders the same partial
// the page included, so scripts never rebuild tables). A 400 answer is a page with errors:
// shown too. Throws on other failures.
export async function swapIn(box, url) {
  const res = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
    cache: "no-store",
  });
  if (!res.ok && res.status !== 400) throw new Error("HTTP " + res.status);
  const doc = new DOMParser().parseFromString(`<div>${await res.text()}</div>`, "text/html");
  box.replaceChildren(...doc.body.firstElementChild.childNodes);
  return true;
}

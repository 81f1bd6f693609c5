// Open orders and OCO lists of one connection, live from the connection's hub: cancel, amend
// (cancel-replace), cancel all for the symbol, place and cancel OCO lists. Money stays decimal
// text from the server; nothing here does arithmetic on it.
import { trim } from "./lib/decimal.js";
import { button, cell, keyedRows, showFieldErrors, when } from "./lib/dom.js";
import { csrfToken, postForm } from "./lib/http.js";
import { connectionHub } from "./lib/hub.js";

// The ticket on the same page shows an order it placed at once, before its push arrives.
export const deskOrders = { upsert() {}, upsertList() {} };

const root = document.getElementById("open-orders");
if (root) start(root);

function start(root) {
  const pk = Number(root.dataset.connection);
  const symbol = root.dataset.symbol || "";
  const base = root.dataset.baseUrl; // /market/orders/<pk>/
  const csrf = csrfToken(root);
  const orders = new Map();
  const lists = new Map();
  for (const o of JSON.parse(document.getElementById("open-orders-data").textContent)) orders.set(o.id, o);
  for (const l of JSON.parse(document.getElementById("order-lists-data").textContent)) lists.set(l.id, l);

  function newId() { return "desk" + crypto.randomUUID().replace(/-/g, "").slice(0, 28); }

  async function post(url, data) {
    try {
      return await postForm(url, data, { csrf });
    } catch (err) {
      return { ok: false, message: "No answer from the desk; check the order list before retrying." };
    }
  }
  function say(el, doc) {
    el.textContent = doc.message || (doc.ok ? "Done." : "Not done.");
    el.className = "action-result " + (doc.ok ? "ok" : "error");
    el.dataset.via = doc.via || ""; // which way the exchange was asked, as the message says
  }
  const result = document.getElementById("orders-result");

  // The exchange canceled an order and refused its replacement: offer it back as it was, through
  // the ticket's own route (its checks, a client order id of its own: a second click is the
  // same order, never a second one).
  function offerPlaceAgain(offer) {
    const again = button(offer.label, "small", async () => {
      again.disabled = true;
      const doc = await post(offer.url, offer.fields);
      say(result, doc);
      if (doc.order) upsert(doc.order);
      if (!doc.ok) offerPlaceAgain(offer);
    });
    result.append(" ", again);
  }

  function statusText(o) {
    let text = o.statusLabel;
    if (o.isOpen && o.isWorking === false) text += " (not working: waiting for its trigger)";
    if (o.errorMessage && o.isUnsettled) text += " — " + o.errorMessage;
    return text;
  }
  function visible(o) { return (o.isOpen || o.isUnsettled) && (!symbol || o.symbol === symbol); }

  function orderRow(o) {
    const tr = document.createElement("tr");
    tr.dataset.orderId = o.id;
    tr.dataset.clientOrderId = o.clientOrderId;
    tr.className = "status-" + o.status.toLowerCase();
    cell(tr, (o.updatedAt || "").replace("T", " ").substring(0, 19));
    cell(tr, o.symbol);
    cell(tr, o.side, "side-" + o.side.toLowerCase());
    cell(tr, o.type);
    cell(tr, trim(o.price), "num");
    cell(tr, o.trailingDelta ? o.trailingDelta + " bips" : trim(o.stopPrice), "num");
    cell(tr, o.origQty ? trim(o.origQty) : trim(o.origQuoteOrderQty), "num");
    cell(tr, trim(o.executedQty), "num");
    cell(tr, statusText(o), "status");
    const actions = cell(tr, "", "actions");
    actions.textContent = "";
    if (o.orderId !== null && o.isOpen) {
      actions.appendChild(button("Cancel", "small danger", () => cancel(o)));
      if (o.price && !o.orderListId) actions.appendChild(button("Amend", "small secondary", () => amend(tr, o)));
    }
    return tr;
  }

  // A push is of one order: only its row is built again. Rebuilt, every row was laid out and, the
  // table being a live region, announced again, for each change of any order.
  const orderRows = keyedRows(document.getElementById("open-order-rows"));
  function renderOrders() {
    const rows = [...orders.values()].filter(visible).sort((a, b) => b.id - a.id);
    // An amend form being filled in outlives the re-render that any push of any order causes.
    const amending = new Map(
      [...document.querySelectorAll("#open-order-rows tr.amend-row")].map((r) => [r.dataset.amendFor, r]),
    );
    orderRows(rows, {
      key: (o) => o.id,
      sig: (o) => JSON.stringify(o),
      build: orderRow,
      after: (o) => (o.isOpen ? amending.get(String(o.id)) : null),
    });
    document.getElementById("open-orders-empty").hidden = rows.length > 0;
  }

  async function cancel(o) {
    const doc = await post(`${base}${o.id}/cancel/`, {});
    say(result, doc);
    if (doc.order) upsert(doc.order);
  }

  function amendField(form, id, name, label, value) {
    const wrap = document.createElement("label");
    const input = document.createElement("input");
    input.name = name;
    input.inputMode = "decimal";
    input.value = value || "";
    input.setAttribute("aria-describedby", `${id}-${name}-error`);
    wrap.append(label + " ", input);
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `${id}-${name}-error`;
    error.dataset.errorFor = name;
    error.setAttribute("role", "alert");
    form.append(wrap, error);
  }

  function amend(tr, o) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("amend-row")) { next.remove(); return; }
    const row = document.createElement("tr");
    row.className = "amend-row";
    row.dataset.amendFor = o.id;
    const td = document.createElement("td");
    td.colSpan = 10;
    const coid = newId(); // fixed for this form: a retried submit is the same intent
    const form = document.createElement("form");
    form.className = "inline amend-form";
    form.noValidate = true;
    const id = `amend-${o.id}`;
    amendField(form, id, "price", "New price", trim(o.price));
    amendField(form, id, "quantity", "New quantity", trim(o.origQty));
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = "Replace";
    const general = document.createElement("p");
    general.className = "field-error";
    general.dataset.errorFor = "__all__";
    general.setAttribute("role", "alert");
    form.append(submit, general);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const doc = await post(`${base}${o.id}/replace/`, { ...data, client_order_id: coid });
      showFieldErrors(form, doc.errors);
      say(result, doc);
      if (doc.replaced) upsert(doc.replaced); // canceled: out of the open orders
      if (doc.order) upsert(doc.order);
      if (doc.placeAgain) offerPlaceAgain(doc.placeAgain);
      if (doc.ok || doc.placeAgain) row.remove();
    });
    td.appendChild(form);
    row.appendChild(td);
    tr.after(row);
  }

  function legsOf(l) {
    return [...orders.values()].filter((o) => o.orderListId === l.id).map((o) => `${o.type} ${o.statusLabel}`).join(", ");
  }
  function listRow(l) {
    const tr = document.createElement("tr");
    tr.dataset.listId = l.id;
    cell(tr, l.symbol);
    cell(tr, l.orderListId);
    cell(tr, (l.listStatusType + (l.listOrderStatus ? " / " + l.listOrderStatus : "")).replace(/_/g, " ").toLowerCase() +
      (l.errorMessage ? " — " + l.errorMessage : ""), "status");
    cell(tr, legsOf(l));
    const actions = cell(tr, "", "actions");
    actions.textContent = "";
    if (l.listStatusType === "EXEC_STARTED") {
      actions.appendChild(button("Cancel OCO", "small danger", async () => {
        const doc = await post(`${base}oco/${l.id}/cancel/`, {});
        say(result, doc);
        if (doc.orderList) upsertList(doc.orderList);
      }));
    }
    return tr;
  }

  const listRows = keyedRows(document.getElementById("oco-rows"));
  function renderLists() {
    const rows = [...lists.values()].filter((l) => !symbol || l.symbol === symbol).sort((a, b) => b.id - a.id);
    listRows(rows, { key: (l) => l.id, sig: (l) => JSON.stringify(l) + legsOf(l), build: listRow });
    document.getElementById("oco-empty").hidden = rows.length > 0;
  }

  // The orders page also lists recent finished orders and fills: an order that ends moves
  // to the top of the first, a new fill to the top of the second (rows keyed as the server
  // renders them, so a repeat replaces instead of doubling).
  const recentOrders = document.querySelector("#recent-orders tbody");
  const recentFills = document.querySelector("#recent-fills tbody");
  const RECENT = 50;
  function onTop(tbody, attr, key, tr) {
    tr.setAttribute(attr, key);
    const old = tbody.querySelector(`tr[${attr}="${key}"]`);
    if (old) old.remove();
    const empty = tbody.querySelector(".empty-row");
    if (empty) empty.remove();
    tbody.prepend(tr);
    while (tbody.rows.length > RECENT) tbody.lastElementChild.remove();
  }
  function recentOrder(o) {
    if (!recentOrders || o.isOpen || o.isUnsettled) return;
    const tr = document.createElement("tr");
    tr.className = "status-" + o.status.toLowerCase();
    cell(tr, when(o.updatedAt));
    cell(tr, o.symbol);
    cell(tr, o.side, "side-" + o.side.toLowerCase());
    cell(tr, o.type);
    cell(tr, trim(o.price), "num");
    cell(tr, o.origQty ? trim(o.origQty) : trim(o.origQuoteOrderQty), "num");
    cell(tr, trim(o.executedQty), "num");
    cell(tr, o.statusLabel);
    const note = cell(tr, (o.errorCode !== null ? o.errorCode + ": " : "") + (o.errorMessage || ""));
    if (note.textContent === "—") note.textContent = "";
    onTop(recentOrders, "data-order-id", String(o.id), tr);
  }
  function recentFill(f) {
    if (!recentFills) return;
    const tr = document.createElement("tr");
    cell(tr, when(f.time));
    cell(tr, f.symbol);
    cell(tr, f.side, "side-" + f.side.toLowerCase());
    cell(tr, trim(f.price), "num");
    cell(tr, trim(f.qty), "num");
    cell(tr, trim(f.quoteQty), "num");
    cell(tr, `${trim(f.commission)} ${f.commissionAsset}`, "num");
    cell(tr, f.isMaker ? "maker" : "taker");
    onTop(recentFills, "data-trade-id", `${f.symbol}-${f.tradeId}`, tr);
  }

  // An order that left the table and is no leg of a list shown is let go: the page stays open
  // for hours, and each push redraws from what it holds. How many it holds is on the root
  // (tests read it).
  function keep(o) {
    if (visible(o) || (o.orderListId && lists.has(o.orderListId))) orders.set(o.id, o);
    else orders.delete(o.id);
    root.dataset.held = orders.size;
  }
  function upsert(o) { keep(o); renderOrders(); renderLists(); recentOrder(o); }
  function upsertList(l) { lists.set(l.id, l); renderLists(); }
  Object.assign(deskOrders, { upsert, upsertList });

  const hub = connectionHub(pk);
  hub.subscribe((msg) => {
    if (msg.type === "order") upsert(msg.order);
    else if (msg.type === "orderList") upsertList(msg.orderList);
    else if (msg.type === "fill") recentFill(msg.fill);
  });
  // Whether the list is live: "open" once the connection's socket is up (tests wait for it).
  hub.onState((state) => { root.dataset.live = state; });

  const cancelAll = document.getElementById("cancel-all-form");
  if (cancelAll) {
    cancelAll.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!window.confirm(cancelAll.dataset.confirm)) return;
      say(result, await post(cancelAll.action, Object.fromEntries(new FormData(cancelAll))));
    });
  }

  const oco = document.getElementById("oco-form");
  if (oco) {
    oco.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const submit = document.getElementById("oco-submit");
      submit.disabled = true;
      const doc = await post(oco.action, Object.fromEntries(new FormData(oco)));
      submit.disabled = false;
      showFieldErrors(oco, doc.errors);
      say(document.getElementById("oco-result"), doc);
      if (doc.orderList) upsertList(doc.orderList);
      if (doc.nextListClientOrderId) oco.querySelector("[name=list_client_order_id]").value = doc.nextListClientOrderId;
    });
  }

  renderOrders();
  renderLists();
  root.dataset.held = orders.size;
}

// The order ticket: shows the fields the chosen order type takes, checks the ticket against the
// symbol's filters as you type (the server runs binanceus.check_order: one rule implementation),
// asks the exchange for a test verdict, and places the order once. The client order id was
// fixed when the ticket was rendered: a retried submit is the same intent, never a second order.
import { trim } from "./lib/decimal.js";
import { showFieldErrors } from "./lib/dom.js";
import { csrfToken, postForm } from "./lib/http.js";
import { connectionHub } from "./lib/hub.js";
import { deskOrders } from "./orders.js";

const root = document.getElementById("ticket");
if (root) start(root);

function start(root) {
  const form = document.getElementById("ticket-form");
  const typeFields = JSON.parse(document.getElementById("ticket-fields").textContent);
  const csrf = csrfToken(form);
  const resultEl = document.getElementById("ticket-result");
  // A page may show more fields whatever the type (data-always: the Custody tab's symbol).
  const extra = (root.dataset.always || "").split(" ").filter(Boolean);
  const ALWAYS = new Set(["type", "self_trade_prevention_mode", ...extra]);

  const value = (name) => {
    const el = form.elements[name];
    return el ? (el.value !== undefined ? el.value : "") : "";
  };

  function shownFields() {
    const type = value("type");
    const names = new Set(typeFields[type] || []);
    if (type === "MARKET") {
      names.add("market_by");
      names.delete(value("market_by") === "quote" ? "quantity" : "quote_order_qty");
    }
    if (type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT_LIMIT") {
      names.add("trigger");
      names.delete(value("trigger") === "trailing_delta" ? "stop_price" : "trailing_delta");
    }
    return names;
  }
  function applyType() {
    const names = shownFields();
    for (const el of form.querySelectorAll(".field[data-field]")) {
      const name = el.dataset.field;
      el.hidden = !(ALWAYS.has(name) || names.has(name));
    }
  }

  function payload(extra) {
    const data = new URLSearchParams(new FormData(form));
    // Only what the chosen type takes travels: hidden fields keep their text for later.
    const names = shownFields();
    for (const el of form.querySelectorAll(".field[data-field]")) {
      if (el.hidden && !ALWAYS.has(el.dataset.field) && !names.has(el.dataset.field)) data.delete(el.dataset.field);
    }
    for (const [k, v] of Object.entries(extra || {})) data.set(k, v);
    return data;
  }
  const post = (url, data) => postForm(url, data, { csrf });

  // Each error next to its field, which is marked invalid (the field's aria-describedby names
  // the error's element); an error with no field shown for it (the symbol, a count limit, a
  // field the chosen type does not take) goes to the ticket's general line. The confirmation's
  // own error stays in its box. Returns how many fields were marked.
  function showErrors(errors) {
    const rest = { ...(errors || {}) };
    const confirm = rest.confirm_large;
    delete rest.confirm_large;
    const marked = showFieldErrors(form, rest, (name) => {
      const box = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
      return box && !box.hidden;
    });
    if (confirm) form.querySelector('[data-error-for="confirm_large"]').textContent = confirm.join(" ");
    return marked;
  }
  function fixFields(marked, what) {
    return `${what}: fix the highlighted field${marked > 1 ? "s" : ""}.`;
  }
  function showConfirm(reason) {
    const box = document.getElementById("ticket-confirm");
    if (!box) return; // a ticket without large-order confirmation (custodial orders)
    box.hidden = !reason;
    document.getElementById("ticket-confirm-reason").textContent = reason || "";
    if (!reason) document.getElementById("id_confirm_large").checked = false;
  }
  function say(text, ok) {
    resultEl.textContent = text;
    resultEl.className = "ticket-result " + (ok ? "ok" : "error");
  }

  // ---- live validation (debounced; stale answers are dropped) ----
  let timer = null;
  let seq = 0;
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  async function check() {
    const mine = ++seq;
    let doc;
    try { doc = await post(root.dataset.checkUrl, payload()); } catch (err) { return; }
    if (mine !== seq) return;
    showErrors(doc.errors);
    showConfirm(doc.confirm);
    const notional = document.getElementById("ticket-notional");
    notional.textContent = doc.unavailable ? doc.unavailable
      : doc.notional ? `Worth about ${trim(doc.notional)} ${root.dataset.quote || ""}` : "";
  }

  form.addEventListener("input", scheduleCheck);
  form.addEventListener("change", (ev) => {
    if (["type", "market_by", "trigger"].includes(ev.target.name)) applyType();
    scheduleCheck();
  });

  // No test endpoint for every kind of order (custodial orders have none): no button then.
  document.getElementById("ticket-test")?.addEventListener("click", async () => {
    say("Asking the exchange…", true);
    let doc;
    try { doc = await post(root.dataset.testUrl, payload()); } catch (err) { say("No answer from the desk.", false); return; }
    if (doc.errors) {
      const marked = showErrors(doc.errors);
      say(marked ? fixFields(marked, "Not tested") : doc.message || "Not tested.", false);
      return;
    }
    say(doc.ok ? "Test order: the exchange would accept this order." : `Test order rejected: ${doc.code ?? ""} ${doc.message}`.replace("  ", " "), doc.ok);
  });

  let sending = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (sending) return; // one request per click; the client order id also guards the server
    sending = true;
    const submit = document.getElementById("ticket-submit");
    submit.disabled = true;
    say("Sending…", true);
    let doc;
    try {
      doc = await post(form.action, payload());
    } catch (err) {
      // Unknown: keep the same client order id, so trying again cannot place it twice.
      say("No answer from the desk. Submitting again is safe: it is the same order.", false);
      sending = false;
      submit.disabled = false;
      return;
    }
    sending = false;
    submit.disabled = false;
    const marked = showErrors(doc.errors);
    if (doc.confirm) showConfirm(doc.confirm);
    // "Highlighted" only when a field is: otherwise the server's message says what happened
    // (a large order to confirm, the exchange's answer, a problem of the ticket as a whole).
    if (doc.ok) say(doc.message || "Placed.", true);
    else say(marked ? fixFields(marked, "Not placed") : doc.message || "Not placed.", false);
    // Which way it went (the message says it in words): "ws", or "rest" with a fallback reason.
    resultEl.dataset.via = doc.via || "";
    if (doc.order) deskOrders.upsert(doc.order);
    if (doc.nextClientOrderId) {
      form.elements.client_order_id.value = doc.nextClientOrderId;
      showConfirm(null);
    }
  });

  // ---- balances of the symbol's two assets, live ----
  connectionHub(root.dataset.connection).subscribe((msg) => {
    if (msg.type !== "balances") return;
    const free = Object.fromEntries(msg.balances.map((b) => [b.asset, b.free]));
    for (const el of root.querySelectorAll("[data-asset-free]")) el.textContent = free[el.dataset.assetFree] || "0";
  });

  applyType();
}

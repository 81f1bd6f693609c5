// Custody tab: the live part (balances, settlement, transfers, custodial orders) follows the
// worker and the sync without a reload, and the next settlement counts down on the exchange's clock.
//
// The server pushes "custody" on the connection's socket when a transfer or undo settles and
// after each sync; the page then swaps in the live part. When the countdown reaches zero the
// page asks for a sync once, which brings the settlement and the balances it moved. Until a
// push has arrived on an open socket the live part is re-read every 20 s (lib/live.js).
import { $ } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { postForm } from "./lib/http.js";
import { exchangeCountdowns, followLivePart } from "./lib/live.js";

const root = $("custody");
if (root && root.dataset.connection) follow(root);

function follow(root) {
  const box = $("custody-live");
  const hub = connectionHub(root.dataset.connection);
  const asked = new Set(); // trigger times that passed: one sync asked for each
  const drawn = () => exchangeCountdowns(box, $("custody-now"), asked);
  const refresh = followLivePart(box, hub, "custody", { drawn });
  cancelInPlace(box, refresh);
  quoteOfSymbol();
}

// A cancel form in the open-orders table posts without leaving the page; the table is then
// drawn again (the order is gone from it once the exchange has canceled it).
function cancelInPlace(box, refresh) {
  box.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("form.cancel-order");
    if (!form) return;
    ev.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    let doc = null;
    try { doc = await postForm(form.action, new FormData(form)); } catch (err) { doc = null; }
    const error = $("custodial-cancel-error");
    if (!doc || !doc.ok) {
      button.disabled = false;
      if (error) { error.hidden = false; error.textContent = doc ? doc.message : "No answer from the desk."; }
      return;
    }
    await refresh().catch(() => {});
  });
}

// The ticket's notional line names the chosen symbol's quote asset ("BTCUSD (BTC/USD)").
function quoteOfSymbol() {
  const ticket = $("ticket");
  const select = ticket && ticket.querySelector("select[name=symbol]");
  if (!select) return;
  const apply = () => {
    const label = select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
    const pair = /\(([^/]+)\/([^)]+)\)/.exec(label);
    ticket.dataset.quote = pair ? pair[2] : "";
  };
  select.addEventListener("change", apply);
  apply();
}

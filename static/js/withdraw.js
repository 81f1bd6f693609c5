// Withdrawal pages. The form offers only the networks and address-book entries of the chosen
// coin and shows the fee and what arrives as the amount is typed (exact decimal strings, never
// floats; the server checks everything again). A withdrawal's page follows it until it is final:
// pushes ("withdrawal") on the connection's socket, and its JSON every 2 s only until the first
// push has arrived on an open socket (and while the socket is down).
import { cmp, sub, trim } from "./lib/decimal.js";
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { getJSON } from "./lib/http.js";

const PLAIN = /^\d+(\.\d+)?$/;

// --- the form ------------------------------------------------------------------------------------
const data = document.getElementById("withdraw-catalogue");
const coin = document.getElementById("id_coin");
const network = document.getElementById("id_network");
const entry = document.getElementById("id_address");
const amount = document.getElementById("id_amount");
const quote = document.getElementById("withdraw-quote");
if (data && coin && network && entry && amount && quote) {
  const { coins, entries } = JSON.parse(data.textContent);
  const offer = (select, keep) => {
    let first = null;
    for (const option of select.options) {
      option.hidden = !keep(option.value);
      if (!option.hidden && first === null) first = option.value;
    }
    const current = select.options[select.selectedIndex];
    if ((!current || current.hidden) && first !== null) select.value = first;
  };
  const show = () => {
    const nets = coins[coin.value] || {};
    offer(network, (name) => name in nets);
    offer(entry, (pk) => {
      const e = entries[pk];
      return !!e && e.coin === coin.value && e.network === network.value;
    });
    const rules = nets[network.value];
    const typed = amount.value.trim();
    if (!rules) { quote.textContent = ""; return; }
    if (rules.fee === null) {
      quote.textContent = "Fee: set by the exchange (taken from the amount).";
      return;
    }
    const limits = `Fee ${rules.fee} ${coin.value}; minimum ${rules.min}` +
      (rules.max ? `, maximum ${rules.max}` : "") + ".";
    if (!PLAIN.test(typed) || cmp(typed, rules.fee) <= 0) { quote.textContent = limits; return; }
    quote.textContent = `${limits} You receive ${trim(sub(typed, rules.fee))} ${coin.value}.`;
  };
  for (const el of [coin, network, entry]) el.addEventListener("change", show);
  amount.addEventListener("input", show);
  show();
}

// --- a withdrawal's page -------------------------------------------------------------------------
const page = document.getElementById("withdrawal");
if (page && page.dataset.final === "0" && page.dataset.connection) follow(page);

function follow(page) {
  const text = (id, value) => { document.getElementById(id).textContent = value || "—"; };
  // Returns false once the withdrawal is final: nothing left to follow.
  function show(doc) {
    if (String(doc.id) !== page.dataset.withdrawal) return true;
    const status = document.getElementById("withdrawal-status");
    status.textContent = doc.status_label;
    status.dataset.status = doc.status;
    text("withdrawal-exchange-status", doc.exchange_status);
    text("withdrawal-id", doc.withdraw_id);
    text("withdrawal-tx", doc.tx_id);
    text("withdrawal-message",
      (doc.error_code !== null ? doc.error_code + ": " : "") + (doc.error_message || ""));
    if (!doc.final) return true;
    page.dataset.final = "1";
    document.getElementById("withdrawal-following").hidden = true;
    return false;
  }
  const hub = connectionHub(page.dataset.connection);
  hub.onState((state) => { page.dataset.live = state; });
  const poller = pollUnlessPushed(hub, async () => show(await getJSON(page.dataset.json)), 2000);
  const unsubscribe = hub.subscribe((msg) => {
    if (msg.type !== "withdrawal" || String(msg.withdrawal.id) !== page.dataset.withdrawal) return;
    poller.pushed();
    if (!show(msg.withdrawal)) { poller.stop(); unsubscribe(); }
  });
}

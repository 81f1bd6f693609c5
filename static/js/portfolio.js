// The dashboard's portfolio: every line the server valued (amount and the symbols its USD value
// goes through), revalued whenever the stream process's mini tickers move one of those symbols.
// Exact decimal strings throughout (lib/decimal.js), rounded to the cent only for display, the
// way the server's `usd` filter rounds.
import * as D from "./lib/decimal.js";
import { openSocket } from "./lib/socket.js";

const root = document.getElementById("portfolio");
if (root) start(root);

function start(root) {
  const data = JSON.parse(document.getElementById("portfolio-data").textContent);
  const prices = new Map(Object.entries(data.prices));
  const watched = new Set(data.lines.flatMap((line) => line.legs || []));
  const stateEl = document.getElementById("portfolio-state");
  const usd = (s) => D.grouped(D.round(s, 2));

  function valueOf(line) {
    if (!line.legs) return null;
    let value = line.amount;
    for (const leg of line.legs) {
      const price = prices.get(leg);
      if (price === undefined) return null;
      value = D.mul(value, price);
    }
    return value;
  }

  function sums() {
    const out = { total: "0", part: {}, asset: {}, connection: {} };
    for (const line of data.lines) {
      const value = valueOf(line);
      if (value === null) continue;
      out.total = D.add(out.total, value);
      for (const [key, id] of [["part", line.part], ["asset", line.asset], ["connection", line.connection]]) {
        out[key][id] = D.add(out[key][id] || "0", value);
      }
    }
    return out;
  }

  function share(value, total) {
    if (value === undefined || D.cmp(total, "0") === 0) return 0;
    return Number(D.percentOf(value, total, 4)) / 100; // a bar's length, not money
  }

  function fillRows(selector, key, values, total, missing) {
    for (const tr of root.querySelectorAll(selector)) {
      const value = values[tr.dataset[key]] ?? missing;
      tr.querySelector(".value").textContent = value === undefined ? "no price" : usd(value);
      tr.querySelector("meter").value = share(value, total);
    }
  }

  function render() {
    const s = sums();
    document.getElementById("portfolio-total").textContent = usd(s.total);
    for (const tr of root.querySelectorAll("#portfolio-parts tr[data-part]")) {
      tr.querySelector("td").textContent = usd(s.part[tr.dataset.part] || "0");
    }
    fillRows("#portfolio-assets tr[data-asset]", "asset", s.asset, s.total, undefined);
    fillRows("#portfolio-connections tr[data-connection]", "connection", s.connection, s.total, "0");
    root.dataset.revalued = String(Number(root.dataset.revalued || 0) + 1);
  }

  function onMessage(msg) {
    if (msg.type !== "miniTickers") return;
    let moved = false;
    for (const t of msg.tickers) {
      if (!watched.has(t.symbol) || prices.get(t.symbol) === t.close) continue;
      prices.set(t.symbol, t.close);
      moved = true;
    }
    if (moved) render();
  }

  function onState(state) {
    stateEl.dataset.state = state;
    stateEl.textContent = state === "open" ? "live" : "reconnecting…";
  }

  if (watched.size) openSocket(root.dataset.ws, { onMessage, onState, port: root.dataset.wsPort });
  else onState("open");
}

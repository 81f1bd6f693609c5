// Markets overview: every symbol's 24h statistics from /ws/markets/ (miniTickers), updated live,
// changed cells flashing, sortable by clicking a header. Values stay decimal strings; the change
// percentage and sorting use lib/decimal.js (BigInt scaled integers), never floats.
import * as D from "./lib/decimal.js";
import { placeChildren } from "./lib/dom.js";
import { openSocket } from "./lib/socket.js";

const root = document.getElementById("markets");
if (root) start(root);

function start(root) {
  const tbody = document.getElementById("markets-rows");
  const stateEl = document.getElementById("markets-state");
  const STALE_MS = 15000;
  const data = new Map(); // symbol -> ticker (+ change)
  let precisions = {};
  try {
    precisions = JSON.parse(document.getElementById("market-precisions").textContent) || {};
  } catch (e) { precisions = {}; }
  let sortKey = "symbol";
  let sortDir = 1;
  let socketState = "connecting";
  let lastMessageAt = 0;

  const priceDp = (sym) => (precisions[sym] ? precisions[sym].price : null);
  const qtyDp = (sym) => (precisions[sym] ? precisions[sym].qty : null);
  // Prices without a known precision: trailing zeros cut, but at least 2 decimals (60003.00).
  const showPrice = (sym, s) => D.fix(s, priceDp(sym) === null ? Math.max(2, D.decimalsOf(s)) : priceDp(sym));
  const showQty = (sym, s) => D.grouped(qtyDp(sym) === null ? D.trim(s) : D.round(s, qtyDp(sym)));

  function rowFor(sym) {
    let tr = tbody.querySelector("tr[data-symbol='" + CSS.escape(sym) + "']");
    if (tr) return tr;
    const empty = tbody.querySelector("tr.empty");
    if (empty) empty.remove();
    tr = document.createElement("tr");
    tr.dataset.symbol = sym;
    tr.innerHTML = "<td class='symbol'><a></a></td><td class='num last'>—</td><td class='num change'>—</td>" +
      "<td class='num high'>—</td><td class='num low'>—</td><td class='num volume'>—</td><td class='num qvolume'>—</td>";
    const a = tr.querySelector("a");
    a.textContent = sym;
    a.href = root.dataset.marketUrl.replace("__SYM__", encodeURIComponent(sym));
    tbody.appendChild(tr);
    return tr;
  }

  // A changed cell is tinted for FLASH_MS: a class put on and taken off, one redraw each. A
  // fading animation had Chromium draw the page on every frame, and with every symbol ticking
  // each second one always ran.
  const FLASH_MS = 800;
  const flashing = new Map(); // td -> its timer
  function flash(td, text, dir) {
    if (td.textContent === text) return;
    const first = td.textContent === "—";
    td.textContent = text;
    if (first) return;
    td.classList.remove("flash-up", "flash-down");
    td.classList.add(dir >= 0 ? "flash-up" : "flash-down");
    td.dataset.changedAt = String(Date.now());
    clearTimeout(flashing.get(td));
    flashing.set(td, setTimeout(() => {
      td.classList.remove("flash-up", "flash-down");
      flashing.delete(td);
    }, FLASH_MS));
  }

  function update(t) {
    const prev = data.get(t.symbol);
    const change = D.cmp(t.open, "0") !== 0 ? D.percentOf(D.sub(t.close, t.open), t.open, 2) : null;
    const row = { ...t, change };
    data.set(t.symbol, row);
    const tr = rowFor(t.symbol);
    const dir = prev ? D.cmp(t.close, prev.close) : 0;
    flash(tr.querySelector(".last"), showPrice(t.symbol, t.close), dir);
    const ch = tr.querySelector(".change");
    flash(ch, change === null ? "—" : (D.isNeg(change) ? "" : "+") + change + " %", prev && prev.change && change ? D.cmp(change, prev.change) : 0);
    ch.classList.toggle("down", change !== null && D.isNeg(change));
    ch.classList.toggle("up", change !== null && !D.isNeg(change));
    flash(tr.querySelector(".high"), showPrice(t.symbol, t.high), 1);
    flash(tr.querySelector(".low"), showPrice(t.symbol, t.low), -1);
    flash(tr.querySelector(".volume"), showQty(t.symbol, t.volume), prev ? D.cmp(t.volume, prev.volume) : 0);
    flash(tr.querySelector(".qvolume"), D.grouped(D.round(t.quoteVolume, 2)), prev ? D.cmp(t.quoteVolume, prev.quoteVolume) : 0);
    tr.dataset.close = t.close;
  }

  function compare(a, b) {
    if (sortKey === "symbol") return a.localeCompare(b);
    const x = data.get(a), y = data.get(b);
    const xv = x && x[sortKey], yv = y && y[sortKey];
    if (xv == null && yv == null) return a.localeCompare(b);
    if (xv == null) return 1; // missing values last, whatever the direction
    if (yv == null) return -1;
    return D.cmp(xv, yv) || a.localeCompare(b);
  }

  function sortRows() {
    const rows = [...tbody.querySelectorAll("tr[data-symbol]")];
    const syms = rows.map((r) => r.dataset.symbol).sort((a, b) => {
      const c = compare(a, b);
      const missing = sortKey !== "symbol" && (!data.get(a) || !data.get(b));
      return missing ? c : c * sortDir;
    });
    const bySym = new Map(rows.map((r) => [r.dataset.symbol, r]));
    if (rows.length) placeChildren(tbody, syms.map((s) => bySym.get(s))); // else: its "waiting" row
  }

  document.querySelectorAll("#markets-table th.sortable").forEach((th) => {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      if (key === sortKey) sortDir = -sortDir;
      else { sortKey = key; sortDir = key === "symbol" ? 1 : -1; }
      document.querySelectorAll("#markets-table th.sortable").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      sortRows();
    });
  });

  function showState() {
    let state = "live", label = "live";
    const age = Date.now() - lastMessageAt;
    if (socketState === "denied") { state = "denied"; label = "not signed in"; }
    else if (socketState !== "open") { state = socketState === "connecting" ? "connecting" : "reconnecting"; label = state + "…"; }
    else if (!lastMessageAt) { state = "syncing"; label = "waiting…"; }
    else if (age > STALE_MS) { state = "stale"; label = "stale " + Math.round(age / 1000) + " s"; }
    stateEl.dataset.state = state;
    if (stateEl.textContent !== label) stateEl.textContent = label;
  }

  let resortQueued = false;
  openSocket(root.dataset.ws, {
    onMessage(msg) {
      if (msg.type !== "miniTickers") return;
      lastMessageAt = Date.now();
      for (const t of msg.tickers) update(t);
      if (msg.reset || sortKey !== "symbol") {
        // Re-sort at most a few times a second so rows do not jump under the pointer constantly.
        if (!resortQueued) { resortQueued = true; setTimeout(() => { resortQueued = false; sortRows(); }, msg.reset ? 0 : 500); }
      }
      root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
      showState();
    },
    onState(s, code) {
      socketState = s === "open" ? "open" : code >= 4400 && code < 4500 ? "denied" : "closed";
      showState();
    },
    port: root.dataset.wsPort,
  });
  showState();
  setInterval(showState, 1000);
}

// Live order book ladder and trades tape for one symbol.
"use strict";
(function () {
  const root = document.getElementById("market");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const stateEl = $("sync-state");
  const STALE_MS = 5000;
  let lastBookAt = 0;
  let bookState = "connecting";
  let socketOpen = false;

  function showState() {
    let label = bookState;
    let state = bookState;
    if (!socketOpen) { state = "reconnecting"; label = "reconnecting…"; }
    else if (bookState === "live" && lastBookAt && Date.now() - lastBookAt > STALE_MS) {
      state = "stale"; label = "stale (" + Math.round((Date.now() - lastBookAt) / 1000) + " s)";
    } else if (bookState === "resyncing" || bookState === "syncing") { label = bookState + "…"; }
    stateEl.dataset.state = state;
    stateEl.textContent = label;
  }

  // Prices and quantities stay strings end to end; this pads or trims the exchange's text to
  // the symbol's tick/step decimals (values are multiples of them, so only zeros are cut).
  function fix(s, dp) {
    if (dp === undefined || dp === null) return s;
    const [int, frac = ""] = s.split(".");
    return dp === 0 ? int : int + "." + (frac + "0".repeat(dp)).slice(0, dp);
  }
  let precision = null;

  function rows(tbody, levels, cls) {
    const frag = document.createDocumentFragment();
    for (const [price, qty] of levels) {
      const tr = document.createElement("tr");
      tr.className = cls;
      tr.innerHTML = "<td class='num price'></td><td class='num'></td>";
      tr.children[0].textContent = fix(price, precision && precision.price);
      tr.children[1].textContent = fix(qty, precision && precision.qty);
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
  }

  function onBook(msg) {
    bookState = msg.state;
    if (msg.precision) precision = msg.precision;
    lastBookAt = Date.now();
    if (msg.state === "live") {
      rows($("asks"), msg.asks.slice().reverse(), "ask");
      rows($("bids"), msg.bids, "bid");
      root.dataset.lastUpdateId = msg.lastUpdateId;
      const bestBid = msg.bids.length ? msg.bids[0][0] : null;
      const bestAsk = msg.asks.length ? msg.asks[0][0] : null;
      const p = precision && precision.price;
      $("spread").textContent = bestBid && bestAsk ? fix(bestBid, p) + " / " + fix(bestAsk, p) : "—";
    }
    showState();
  }

  function onTrades(msg) {
    if (msg.precision) precision = msg.precision;
    const tbody = $("trades");
    const frag = document.createDocumentFragment();
    for (const t of msg.trades) {
      const tr = document.createElement("tr");
      tr.className = t.buyerMaker ? "sell" : "buy";
      tr.dataset.tradeId = t.id;
      tr.innerHTML = "<td class='num price'></td><td class='num'></td><td></td>";
      tr.children[0].textContent = fix(t.price, precision && precision.price);
      tr.children[1].textContent = fix(t.qty, precision && precision.qty);
      tr.children[2].textContent = new Date(t.time).toISOString().substring(11, 23);
      frag.appendChild(tr);
    }
    if (msg.reset) tbody.replaceChildren(frag); else tbody.prepend(frag);
    while (tbody.children.length > 50) tbody.lastElementChild.remove();
  }

  window.deskSocket(root.dataset.ws, {
    onMessage(msg) {
      if (msg.type === "book") onBook(msg);
      else if (msg.type === "trades") onTrades(msg);
    },
    onState(s) { socketOpen = s === "open"; showState(); },
  });
  setInterval(showState, 1000);
})();

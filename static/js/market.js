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

  function rows(tbody, levels, cls) {
    const frag = document.createDocumentFragment();
    for (const [price, qty] of levels) {
      const tr = document.createElement("tr");
      tr.className = cls;
      tr.innerHTML = "<td class='num price'></td><td class='num'></td>";
      tr.children[0].textContent = price;
      tr.children[1].textContent = qty;
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
  }

  function onBook(msg) {
    bookState = msg.state;
    lastBookAt = Date.now();
    if (msg.state === "live") {
      rows($("asks"), msg.asks.slice().reverse(), "ask");
      rows($("bids"), msg.bids, "bid");
      root.dataset.lastUpdateId = msg.lastUpdateId;
      const bestBid = msg.bids.length ? msg.bids[0][0] : null;
      const bestAsk = msg.asks.length ? msg.asks[0][0] : null;
      $("spread").textContent = bestBid && bestAsk ? bestBid + " / " + bestAsk : "—";
    }
    showState();
  }

  function onTrades(msg) {
    const tbody = $("trades");
    const frag = document.createDocumentFragment();
    for (const t of msg.trades) {
      const tr = document.createElement("tr");
      tr.className = t.buyerMaker ? "sell" : "buy";
      tr.dataset.tradeId = t.id;
      tr.innerHTML = "<td class='num price'></td><td class='num'></td><td></td>";
      tr.children[0].textContent = t.price;
      tr.children[1].textContent = t.qty;
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

// Balances of the selected connection, refreshed whenever the worker syncs them.
"use strict";
(function () {
  const root = document.getElementById("balances");
  if (!root || !root.dataset.ws) return;
  function render(msg) {
    const tbody = document.getElementById("balance-rows");
    const frag = document.createDocumentFragment();
    for (const b of msg.balances) {
      const tr = document.createElement("tr");
      tr.innerHTML = "<td></td><td class='num'></td><td class='num'></td>";
      tr.children[0].textContent = b.asset;
      tr.children[1].textContent = trim(b.free);
      tr.children[2].textContent = trim(b.locked);
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    const synced = document.getElementById("balances-synced");
    if (msg.synced_at && synced) {
      synced.setAttribute("datetime", msg.synced_at);
      synced.textContent = msg.synced_at.replace("T", " ").substring(0, 19) + " UTC";
    }
  }
  // Money arrives as decimal strings; trimming is string work, never parseFloat.
  function trim(s) { return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }
  window.deskSocket(root.dataset.ws, { onMessage(msg) { if (msg.type === "balances") render(msg); } });
})();

// Balances of the selected connection, refreshed whenever the worker syncs them.
import { connectionHub } from "./lib/hub.js";
import { trim } from "./lib/decimal.js";

const root = document.getElementById("balances");

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

if (root && root.dataset.connection) {
  connectionHub(root.dataset.connection).subscribe((msg) => { if (msg.type === "balances") render(msg); });
}

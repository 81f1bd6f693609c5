// Fill toasts on every page, from the hub of each trading connection of the user (the same
// sockets every other widget of the page shares).
import { connectionHub } from "./lib/hub.js";
import { getJSON } from "./lib/http.js";
import { trim } from "./lib/decimal.js";

const root = document.getElementById("toasts");

export function toast(text, kind) {
  if (!root) return;
  const div = document.createElement("div");
  div.className = "toast" + (kind ? " toast-" + kind : "");
  div.setAttribute("role", "status");
  div.textContent = text;
  div.addEventListener("click", () => div.remove());
  root.appendChild(div);
  setTimeout(() => div.remove(), 10000);
}

function follow(conn) {
  connectionHub(conn.pk).subscribe((msg) => {
    if (msg.type === "fill") {
      const f = msg.fill;
      toast(`Filled: ${f.side} ${trim(f.qty)} ${f.symbol} @ ${trim(f.price)} · ${conn.label}`,
        f.side === "BUY" ? "buy" : "sell");
    } else if (msg.type === "order" && msg.order.status === "FAILED" && msg.order.errorMessage) {
      toast(`Not placed: ${msg.order.symbol} ${msg.order.side} — ${msg.order.errorMessage}`, "error");
    }
  });
}

if (root && root.dataset.connectionsUrl) {
  getJSON(root.dataset.connectionsUrl)
    .then((doc) => doc.connections.forEach(follow))
    .catch(() => {}); // no toasts is better than a broken page
}

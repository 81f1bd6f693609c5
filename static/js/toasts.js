// One socket per trading connection of the user, on every page: fill toasts, and a small
// event hub (window.deskAccount) so page scripts reuse these sockets instead of opening more.
"use strict";
(function () {
  const root = document.getElementById("toasts");
  const listeners = [];
  window.deskAccount = {
    // fn(message, connectionPk) for every message of every connection's socket.
    subscribe(fn) { listeners.push(fn); },
    toast: show,
  };
  if (!root || !window.deskSocket) return;
  // Every page shows toasts, but only market pages load market.css: the few rules live here.
  const style = document.createElement("style");
  style.textContent = `
    .toasts { position:fixed; right:1rem; bottom:1rem; display:flex; flex-direction:column; gap:.5rem; z-index:50; max-width:380px; }
    .toast { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--accent); border-radius:6px;
             padding:.6rem .8rem; box-shadow:0 4px 16px rgba(0,0,0,.4); cursor:pointer; }
    .toast-buy { border-left-color:var(--bid); } .toast-sell, .toast-error { border-left-color:var(--ask); }`;
  document.head.appendChild(style);

  function show(text, kind) {
    const div = document.createElement("div");
    div.className = "toast" + (kind ? " toast-" + kind : "");
    div.setAttribute("role", "status");
    div.textContent = text;
    div.addEventListener("click", () => div.remove());
    root.appendChild(div);
    setTimeout(() => div.remove(), 10000);
  }
  // Money arrives as decimal strings; trimming zeros is string work, never parseFloat.
  function trim(s) { return s && s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }

  function onMessage(conn, msg) {
    if (msg.type === "fill") {
      const f = msg.fill;
      show(`Filled: ${f.side} ${trim(f.qty)} ${f.symbol} @ ${trim(f.price)} · ${conn.label}`,
        f.side === "BUY" ? "buy" : "sell");
    } else if (msg.type === "order" && msg.order.status === "FAILED" && msg.order.errorMessage) {
      show(`Not placed: ${msg.order.symbol} ${msg.order.side} — ${msg.order.errorMessage}`, "error");
    }
    for (const fn of listeners) fn(msg, conn.pk);
  }

  fetch(root.dataset.connectionsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : { connections: [] }))
    .then((doc) => {
      for (const conn of doc.connections) {
        window.deskSocket(`/ws/connections/${conn.pk}/`, { onMessage: (msg) => onMessage(conn, msg) });
      }
    })
    .catch(() => {});
})();

// Stream health: polls health.json every 2 s and renders the upstream sockets, the WebSocket API
// session of each of the user's trading connections and the per-symbol book state. Rows are keyed
// (data-url / data-connection / data-symbol) and updated in place. Polling, not a push:
// the report is written by the stream process once a second and belongs to no connection, so
// there is no socket of the page it could ride on.
import { $, placeChildren } from "./lib/dom.js";
import { getJSON } from "./lib/http.js";

const root = document.getElementById("health");
if (root) start(root);

function start(root) {
  const POLL_MS = 2000;
  const STALE_EVENT_MS = 15000;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.floor(seconds);
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + s + "s";
    return s + "s";
  }
  function ago(iso, now) {
    if (!iso) return "never";
    const ms = now - Date.parse(iso);
    return ms < 1000 ? "just now" : duration(ms / 1000) + " ago";
  }
  const timeOf = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace(/(\+00:00|Z)$/, " UTC") : "—");

  // Keyed rows: keep existing <tr>s so the table does not flicker every poll.
  function sync(tbody, items, key, cells, build, empty = "None.") {
    const held = new Map([...tbody.children].map((r) => [r.dataset.key, r]));
    const rows = items.map((item) => {
      const k = String(item[key]);
      let tr = held.get(k);
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset.key = k;
        tr.innerHTML = cells;
      }
      build(tr, item);
      return tr;
    });
    if (!items.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = document.createElement("td");
      td.colSpan = tbody.closest("table").querySelectorAll("thead th").length || 1;
      td.className = "muted";
      td.textContent = empty;
      tr.appendChild(td);
      rows.push(tr);
    }
    placeChildren(tbody, rows);
  }
  const set = (td, text, cls) => { if (td.textContent !== text) td.textContent = text; if (cls !== undefined) td.className = cls; };

  function render(h) {
    const now = Date.parse(h.generatedAt) || Date.now();
    set($("health-generated"), timeOf(h.generatedAt));
    set($("health-uptime"), duration(h.uptimeSeconds));
    set($("health-streams"), (h.streams || []).join(" · ") || "none");

    sync($("process-rows"), h.processes || [], "name",
      "<td class='label'></td><td class='num'></td><td class='symbols'></td><td class='num'></td><td class='num'></td>",
      (tr, p) => {
        tr.dataset.process = p.name;
        const td = tr.children;
        set(td[0], p.name, "label");
        set(td[1], duration(p.uptimeSeconds), "num");
        set(td[2], (p.symbols || []).join(" · ") || "—", "symbols");
        set(td[3], String(p.userData ?? 0), "num");
        set(td[4], String(p.wsApi ?? 0), "num");
      }, "No stream process has reported in the last 5 s.");

    sync($("upstream-rows"), h.upstream || [], "url",
      "<td class='url'></td><td class='status'></td><td></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td>",
      (tr, u) => {
        tr.dataset.url = u.url;
        tr.dataset.connected = String(!!u.connected);
        const td = tr.children;
        set(td[0], u.url, "url");
        set(td[1], u.connected ? "connected" : "disconnected", "status " + (u.connected ? "ok" : "bad"));
        set(td[2], u.connectedSince ? timeOf(u.connectedSince) + " (" + ago(u.connectedSince, now).replace(" ago", "") + ")" : "—");
        set(td[3], String(u.subscriptions));
        set(td[4], String(u.reconnects), "num" + (u.reconnects ? " warn" : ""));
        set(td[5], String(u.rollovers));
        set(td[6], String(u.messages));
        set(td[7], ago(u.lastMessageAt, now));
      });

    const count = (n) => (n === null || n === undefined ? "—" : String(n));
    sync($("ws-api-rows"), h.wsApi || [], "connection",
      "<td class='label'></td><td class='status'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td><td class='num'></td>",
      (tr, w) => {
        const up = w.state === "up";
        tr.dataset.connection = String(w.connection);
        tr.dataset.state = up ? "up" : "down";
        const td = tr.children;
        set(td[0], w.label, "label");
        set(td[1], up ? "up" : "down", "status " + (up ? "ok" : "bad"));
        if (!up) {
          for (let i = 2; i < td.length; i++) set(td[i], "—", "num");
          return;
        }
        set(td[2], duration(w.ageSeconds), "num");
        set(td[3], ago(w.lastPongAt, Date.parse(w.reportedAt) || now), "num");
        set(td[4], count(w.pingsAnswered), "num");
        set(td[5], count(w.reconnects), "num" + (w.reconnects ? " warn" : ""));
        const pending = w.pending ? " (" + w.pending + " pending)" : "";
        set(td[6], count(w.requestsSent) + pending, "num");
        set(td[7], count(w.usedWeight1m), "num");
        set(td[8], count(w.orderCount10s), "num");
        set(td[9], count(w.orderCount1d), "num");
      }, "No connection that can trade.");

    sync($("symbol-rows"), h.symbols || [], "symbol",
      "<td class='symbol'><a></a></td><td><span class='sync-state'></span></td><td class='num'></td><td class='num age'></td><td class='num'></td><td class='num'></td><td class='num'></td>",
      (tr, s) => {
        tr.dataset.symbol = s.symbol;
        tr.dataset.state = s.state;
        const td = tr.children;
        const a = td[0].firstChild;
        if (a.textContent !== s.symbol) {
          a.textContent = s.symbol;
          a.href = root.dataset.marketUrl.replace("__SYM__", encodeURIComponent(s.symbol));
        }
        const stale = s.state === "live" && s.lastEventAgeMs !== null && s.lastEventAgeMs > STALE_EVENT_MS;
        const badge = td[1].firstChild;
        badge.dataset.state = stale ? "stale" : s.state;
        set(badge, stale ? "stale" : s.state);
        set(td[2], s.lastUpdateId === null || s.lastUpdateId === undefined ? "—" : String(s.lastUpdateId));
        set(td[3], s.lastEventAgeMs === null || s.lastEventAgeMs === undefined ? "—"
          : s.lastEventAgeMs < 1000 ? s.lastEventAgeMs + " ms" : (s.lastEventAgeMs / 1000).toFixed(1) + " s",
          "num age" + (stale ? " warn" : ""));
        set(td[4], String(s.resyncs), "num" + (s.resyncs ? " warn" : ""));
        set(td[5], String(s.gaps), "num" + (s.gaps ? " warn" : ""));
        set(td[6], String(s.snapshots));
      });
  }

  const stateEl = $("health-state");
  let failures = 0;
  async function poll() {
    try {
      const h = await getJSON(root.dataset.url, { cache: "no-store" });
      render(h);
      failures = 0;
      stateEl.dataset.state = h.error ? "stale" : "live";
      stateEl.textContent = h.error || "updated";
      root.dataset.polls = String(Number(root.dataset.polls || 0) + 1);
    } catch (err) {
      failures += 1;
      stateEl.dataset.state = failures > 2 ? "reconnecting" : "stale";
      stateEl.textContent = "unavailable (" + err.message + ")";
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  poll();
}

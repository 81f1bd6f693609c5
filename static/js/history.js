// History page: the backfill progress bars follow the sync without reloading the table being
// read. The connection's socket pushes the progress document ("historyProgress") after each sync
// step; until such a push has arrived on an open socket (and while the socket is down) the page
// polls the same document every 3 s.
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { getJSON } from "./lib/http.js";

const box = document.getElementById("history-progress");
if (box && box.dataset.connection) start(box);

function start(box) {
  const fmt = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

  // Returns true when a sync has no row yet (a symbol added meanwhile).
  function update(doc) {
    let unknown = false;
    for (const s of doc.syncs) {
      const row = box.querySelector(`tr[data-sync="${CSS.escape(String(s.id))}"]`);
      if (!row) { unknown = true; continue; }
      row.querySelector("progress").value = s.percent;
      row.querySelector(".pct").textContent = s.done ? "done" : (s.started ? s.percent + "%" : "waiting");
      row.querySelector(".rows").textContent = s.rows;
      row.querySelector(".to").textContent = fmt(s.backfilled_to);
      row.querySelector(".at").textContent = s.synced_at ? s.synced_at.slice(0, 19).replace("T", " ") : "never";
      row.querySelector(".problem").textContent = s.last_error;
    }
    return unknown;
  }

  // A symbol added meanwhile has no row yet: the page shows it after one reload (once: a sync
  // the page cannot show must not reload it forever).
  function apply(doc) {
    if (update(doc) && !sessionStorage.getItem("history-reloaded")) {
      sessionStorage.setItem("history-reloaded", "1");
      window.location.reload();
      return false;
    }
    sessionStorage.removeItem("history-reloaded");
    return true;
  }

  const hub = connectionHub(box.dataset.connection);
  hub.onState((state) => { box.dataset.live = state; });
  const poller = pollUnlessPushed(hub, async () => apply(await getJSON(box.dataset.url)), 3000);
  hub.subscribe((msg) => {
    if (msg.type !== "historyProgress") return;
    poller.pushed();
    if (!apply(msg)) poller.stop();
  });
}

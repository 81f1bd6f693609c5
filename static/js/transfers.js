// Transfer pages: the source's known balance next to the amount, the browser's time zone as the
// default for a new schedule, and a run page that follows its run until it is final. The run
// follows pushes ("transferRun") on the connection's socket; until such a push has arrived on an
// open socket (and while the socket is down) it polls the run's JSON every 2 s.
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { getJSON } from "./lib/http.js";

// --- transfer form: show the source's known free balance of the chosen asset -------------------
const data = document.getElementById("balances-data");
const from = document.getElementById("id_from_party");
const asset = document.getElementById("id_asset");
const note = document.getElementById("source-balance");
if (data && from && asset && note) {
  const balances = JSON.parse(data.textContent);
  const show = () => {
    const free = (balances[from.value] || {})[asset.value] || "0"; // exact text, no parseFloat
    note.textContent = "Known free balance of the source: " + free + " " + asset.value;
  };
  from.addEventListener("change", show);
  asset.addEventListener("change", show);
  show();
}

// --- schedule form: prefill the time zone with the browser's own on a new schedule --------------
const form = document.getElementById("schedule-form");
const tz = document.getElementById("id_timezone");
if (form && tz && form.dataset.new === "1" && !form.querySelector(".field-error")) {
  try {
    const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (mine && Array.from(tz.options).some((o) => o.value === mine)) tz.value = mine;
  } catch (e) { /* keep the server's default */ }
}

// --- run page: follow the run until it is executed, failed or skipped ---------------------------
const run = document.getElementById("run");
if (run && run.dataset.final === "0" && run.dataset.connection) followRun(run);

function followRun(run) {
  // Returns false once the run is final: nothing left to follow.
  function show(doc) {
    if (String(doc.id) !== run.dataset.run) return true;
    const status = document.getElementById("run-status");
    status.textContent = doc.status_label;
    status.dataset.status = doc.status;
    document.getElementById("run-message").textContent =
      (doc.error_code !== null ? doc.error_code + ": " : "") + (doc.error_message || "—");
    document.getElementById("run-txn").textContent = doc.txn_id || "—";
    if (doc.amount !== null) document.getElementById("run-amount").textContent = doc.amount;
    if (!doc.final) return true;
    run.dataset.final = "1";
    document.getElementById("run-checking").hidden = true;
    document.getElementById("retry-form").hidden = doc.status !== "failed";
    return false;
  }
  const hub = connectionHub(run.dataset.connection);
  hub.onState((state) => { run.dataset.live = state; });
  const poller = pollUnlessPushed(hub, async () => show(await getJSON(run.dataset.json)), 2000);
  const unsubscribe = hub.subscribe((msg) => {
    if (msg.type !== "transferRun" || String(msg.run.id) !== run.dataset.run) return;
    poller.pushed();
    if (!show(msg.run)) { poller.stop(); unsubscribe(); }
  });
}

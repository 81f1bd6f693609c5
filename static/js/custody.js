// Custody tab: the live part (balances, settlement, transfers) follows the worker and the
// sync without a reload, and the next settlement counts down on the exchange's clock.
//
// The server pushes "custody" on the connection's socket when a transfer or undo settles and
// after each sync; the page then swaps in the live part. When the countdown reaches zero the
// page asks for a sync once, which brings the settlement and the balances it moved. Until a
// push has arrived on an open socket the live part is re-read every 20 s (pollUnlessPushed).
import { $, swapIn } from "./lib/dom.js";
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { postForm } from "./lib/http.js";

const root = $("custody");
if (root && root.dataset.connection) follow(root);

function follow(root) {
  const box = $("custody-live");
  const hub = connectionHub(root.dataset.connection);
  const asked = new Set(); // trigger times that passed: one sync asked for each
  let ticker = null;

  function startCountdown() {
    clearInterval(ticker);
    const now = $("custody-now");
    if (!now) return;
    const loaded = Date.now();
    const exchangeNow = () => Number(now.dataset.exchangeNowMs) + (Date.now() - loaded);
    const tick = () => {
      for (const el of box.querySelectorAll(".countdown[data-due-ms]")) {
        const due = Number(el.dataset.dueMs);
        const left = due - exchangeNow();
        el.textContent = left > 0 ? `in ${span(left)}` : "due now: checking";
        if (left <= 0 && !asked.has(due)) {
          asked.add(due);
          postForm(box.dataset.syncUrl, {}).catch(() => {});
        }
      }
    };
    tick();
    ticker = setInterval(tick, 1000);
  }

  const drawn = () => { startCountdown(); return true; };
  const refresh = async () => swapIn(box, box.dataset.liveUrl).then(drawn);
  const poller = pollUnlessPushed(hub, refresh, 20000);
  hub.subscribe((msg) => {
    if (msg.type !== "custody") return;
    poller.pushed();
    refresh().catch(() => {});
  });
  if (box.dataset.deferred) refresh().catch(() => {}); // a refused form's page: not drawn yet
  else drawn();
}

function span(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${sec}s`;
  return `${m}m ${sec}s`;
}

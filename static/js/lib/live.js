// A tab's live part: a server-rendered region (data-live-url) swapped in again whenever the
// connection's socket pushes a message of the tab's type, and re-read on a timer only until a
// push has arrived on an open socket (hub.js's pollUnlessPushed). Staking, Custody and Credit
// line all work this way; each says what to do once a new part is drawn.
import { swapIn } from "./dom.js";
import { pollUnlessPushed } from "./hub.js";
import { postForm } from "./http.js";

// Follows `box` for pushes of `type` on `hub`; `drawn()` runs after each swap (and once now,
// unless the box is `data-deferred`: a refused form's page, whose part is fetched at once).
// `onPush(msg)` sees each push first. Returns the refresh function.
export function followLivePart(box, hub, type, { drawn = () => {}, onPush = () => {}, ms = 20000 } = {}) {
  const refresh = async () => swapIn(box, box.dataset.liveUrl).then(() => { drawn(); return true; });
  const poller = pollUnlessPushed(hub, refresh, ms);
  hub.subscribe((msg) => {
    if (msg.type !== type) return;
    poller.pushed();
    onPush(msg);
    refresh().catch(() => {});
  });
  if (box.dataset.deferred) refresh().catch(() => {});
  else drawn();
  return refresh;
}

// Every `.countdown[data-due-ms]` in `box` counts down on the exchange's clock (`nowEl`'s
// data-exchange-now-ms when the part was drawn). When one reaches zero, `box.dataset.syncUrl` is
// posted once for that due time: the sync brings what happened then. Call again after a swap.
export function exchangeCountdowns(box, nowEl, asked = new Set()) {
  clearInterval(box._countdown);
  if (!nowEl) return asked;
  const loaded = Date.now();
  const exchangeNow = () => Number(nowEl.dataset.exchangeNowMs) + (Date.now() - loaded);
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
  box._countdown = setInterval(tick, 1000);
  return asked;
}

export function span(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${sec}s`;
  return `${m}m ${sec}s`;
}

// Convert tab: the quote counts down on the exchange's clock (its validTimestamp is on it), and
// at zero Accept is disabled and "Refresh quote" offered (which asks a new quote for the same
// coins and amount: never the same order again). The conversions and the balances they move
// follow the pushes without a reload.
import { $ } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { followLivePart, span } from "./lib/live.js";

const root = $("convert");
if (root && root.dataset.connection) {
  const hub = connectionHub(root.dataset.connection);
  const refresh = followLivePart($("convert-live"), hub, "convert", { ms: 15000 });
  // A settled conversion moves balances; their sync pushes "balances" (also sent on connect).
  hub.subscribe((msg) => { if (msg.type === "balances") refresh().catch(() => {}); });
  countdown($("quote-panel"));
}

function countdown(panel) {
  if (!panel || !panel.dataset.validUntilMs) return;
  const loaded = Date.now();
  const exchangeNow = () => Number(panel.dataset.exchangeNowMs) + (Date.now() - loaded);
  const until = Number(panel.dataset.validUntilMs);
  const out = $("quote-countdown"), accept = $("quote-accept");
  const tick = () => {
    const left = until - exchangeNow();
    if (left > 0) {
      out.textContent = `${span(left)} left`;
      return;
    }
    clearInterval(timer);
    out.textContent = "expired";
    panel.dataset.expired = "true";
    accept.disabled = true;
    $("quote-expired").hidden = false;
    $("refresh-form").hidden = false;
  };
  const timer = setInterval(tick, 250);
  tick();
}

// Dust tab: the totals and the fee of the ticked assets, summed exactly (decimal strings, never
// floats) as boxes are ticked; the conversions follow the pushes (or a timer until one arrives),
// and once one ends the list of what is still dust is drawn again.
import * as D from "./lib/decimal.js";
import { $, swapIn } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { followLivePart } from "./lib/live.js";

const root = $("dust");
if (root && root.dataset.connection) {
  const hub = connectionHub(root.dataset.connection);
  const assets = $("dust-assets");
  // The list of dust is drawn again whenever a conversion ended after it was drawn: seen on a
  // push, or on the first draw when one ended before this page's socket was open.
  const redrawIfOutdated = () => {
    const ended = $("dust-conversions")?.dataset.settled;
    const drawnAt = $("dust-list")?.dataset.settled;
    if (ended && drawnAt && ended !== drawnAt) swapIn(assets, assets.dataset.liveUrl).then(totals).catch(() => {});
  };
  followLivePart($("dust-live"), hub, "convert", { ms: 15000, drawn: redrawIfOutdated });
  assets.addEventListener("change", (e) => { if (e.target.name === "from_assets") totals(); });
  totals();
}

function totals() {
  const sums = { usd: "0", converted: "0", fee: "0", received: "0" };
  for (const box of document.querySelectorAll("#dust-table input[name=from_assets]:checked")) {
    for (const key of Object.keys(sums)) sums[key] = D.add(sums[key], box.dataset[key] || "0");
  }
  $("dust-total-usd").textContent = D.trim(sums.usd);
  $("dust-total-converted").textContent = D.trim(sums.converted);
  $("dust-total-fee").textContent = D.trim(sums.fee);
  $("dust-total-received").textContent = D.trim(sums.received);
}

// Staking tab: the live part (positions, unstakes, operations, rewards) follows the worker
// without a reload, pending unstakes count down on the exchange's clock, and the rewards chart
// draws per day and running total.
//
// The server pushes "staking" on the connection's socket when a stake or unstake settles and
// after each history sync; the page then swaps in the live part. When an unstake's countdown
// reaches zero the page asks for a sync, which brings the credited status. Until a push has
// arrived on an open socket the live part is re-read every 20 s (lib/live.js).
import { themeColor, themedChart } from "./lib/chart.js";
import { $ } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { exchangeCountdowns, followLivePart } from "./lib/live.js";

let chosenAsset = null; // the rewards chart's asset, kept across swaps of the live part

const root = $("staking");
if (root && root.dataset.connection) follow(root);

function follow(root) {
  const box = $("staking-live");
  const hub = connectionHub(root.dataset.connection);
  const asked = new Set(); // unstakes whose due time passed: one sync asked for each
  let chart = null;
  const drawn = () => {
    chart = rewardChart(chart);
    exchangeCountdowns(box, $("staking-now"), asked);
  };
  followLivePart(box, hub, "staking", { drawn });
}

// Rewards per day (bars) and their running total (line) for the chosen asset. The values are
// exact decimal strings from the server; Number() only places them on the chart.
function rewardChart(previous) {
  if (previous) previous.remove();
  const el = $("reward-chart"), select = $("reward-asset"), data = $("reward-series");
  const LC = window.LightweightCharts;
  if (!el || !select || !data || !LC) return null;
  const series = JSON.parse(data.textContent) || {};
  select.replaceChildren(...Object.keys(series).map((a) => new Option(a, a)));
  if (chosenAsset && chosenAsset in series) select.value = chosenAsset;
  const chart = themedChart(el, { leftScale: true });
  const daily = chart.addSeries(LC.HistogramSeries, {
    priceScaleId: "left", color: themeColor("--accent", "#f0b90b"), priceLineVisible: false,
  });
  const total = chart.addSeries(LC.LineSeries, {
    color: themeColor("--bid", "#2ebd85"), lineWidth: 2, priceLineVisible: false,
  });
  const show = () => {
    const s = series[select.value] || { daily: [], cumulative: [] };
    const points = (rows) => rows.map((r) => ({ time: r.time, value: Number(r.value) }));
    daily.setData(points(s.daily));
    total.setData(points(s.cumulative));
    chart.timeScale().fitContent();
    chosenAsset = select.value;
    el.dataset.points = String(s.daily.length);
  };
  select.addEventListener("change", show);
  show();
  return chart;
}

// Rewards tab and Broker page: each follows the connection's "rewards" pushes (a sync stored
// rewards or rebates, an export moved) by swapping in its server-rendered live part
// (lib/live.js). The Rewards tab also draws the daily totals of one series at a time: amounts
// in different assets do not add up, so they never share an axis.
import { themeColor, themedChart } from "./lib/chart.js";
import { $ } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { followLivePart } from "./lib/live.js";

const rewards = $("rewards");
if (rewards && rewards.dataset.connection) followRewards(rewards);
const broker = $("broker");
if (broker && broker.dataset.connection) followBroker(broker);

function followRewards(root) {
  const hub = connectionHub(root.dataset.connection);
  const chart = rewardsChart();
  followLivePart($("rewards-live"), hub, "rewards", {
    ms: 30000,
    drawn: () => { if (chart) chart.load(); },
  });
}

function followBroker(root) {
  const hub = connectionHub(root.dataset.connection);
  followLivePart($("broker-live"), hub, "rewards", { ms: 15000 });
}

// Series come from the live part's JSON ({key, label, points: [[dayMs, "sum"], ...]}): exact
// decimal strings; Number() only places them on the chart.
function rewardsChart() {
  const el = $("rewards-chart"), picker = $("rewards-series"), empty = $("rewards-chart-empty");
  const LC = window.LightweightCharts;
  if (!el || !picker || !LC) return null;
  const chart = themedChart(el);
  const bars = chart.addSeries(LC.HistogramSeries, {
    color: themeColor("--accent", "#f0b90b"),
    priceFormat: { type: "price", precision: 8, minMove: 0.00000001 },
  });
  let series = [];
  const draw = () => {
    const chosen = series.find((s) => s.key === picker.value) || series[0];
    const points = chosen ? chosen.points : [];
    bars.setData(points.map(([ms, value]) => ({ time: Math.floor(ms / 1000), value: Number(value) })));
    el.dataset.series = chosen ? chosen.key : "";
    el.dataset.points = String(points.length);
    chart.timeScale().fitContent();
  };
  const load = () => {
    const data = $("rewards-series-data");
    series = data ? JSON.parse(data.textContent) || [] : [];
    const keep = picker.value;
    picker.replaceChildren(...series.map((s) => new Option(s.label, s.key, false, s.key === keep)));
    picker.disabled = series.length === 0;
    if (empty) empty.hidden = series.length > 0;
    draw();
  };
  picker.addEventListener("change", draw);
  return { load };
}

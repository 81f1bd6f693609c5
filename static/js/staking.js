// Staking tab: the live part (positions, unstakes, operations, rewards) follows the worker
// without a reload, pending unstakes count down on the exchange's clock, and the rewards chart
// draws per day and running total.
//
// The server pushes "staking" on the connection's socket when a stake or unstake settles and
// after each history sync; the page then swaps in the live part. When an unstake's countdown
// reaches zero the page asks for a sync, which brings the credited status. Until a push has
// arrived on an open socket the live part is re-read every 20 s (hub.js's pollUnlessPushed).
import { $, swapIn } from "./lib/dom.js";
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { postForm } from "./lib/http.js";

let chosenAsset = null; // the rewards chart's asset, kept across swaps of the live part

const root = $("staking");
if (root && root.dataset.connection) follow(root);

function follow(root) {
  const box = $("staking-live");
  const hub = connectionHub(root.dataset.connection);
  const asked = new Set(); // unstakes whose due time passed: one sync asked for each
  let chart = null;

  function drawn() {
    chart = rewardChart(chart);
    startCountdowns();
    return true;
  }
  const refresh = async () => swapIn(box, box.dataset.liveUrl).then(drawn);

  let ticker = null;
  function startCountdowns() {
    clearInterval(ticker);
    const now = $("staking-now");
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

  const poller = pollUnlessPushed(hub, refresh, 20000);
  hub.subscribe((msg) => {
    if (msg.type !== "staking") return;
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
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const chart = LC.createChart(el, {
    autoSize: true,
    layout: {
      background: { type: "solid", color: color("--card", "#182029") },
      textColor: color("--muted", "#8a96a3"), fontSize: 11, attributionLogo: false,
    },
    grid: { vertLines: { color: "#1e2832" }, horzLines: { color: "#1e2832" } },
    rightPriceScale: { borderColor: color("--line", "#26313d") },
    leftPriceScale: { visible: true, borderColor: color("--line", "#26313d") },
    timeScale: { borderColor: color("--line", "#26313d") },
  });
  const daily = chart.addSeries(LC.HistogramSeries, {
    priceScaleId: "left", color: color("--accent", "#f0b90b"), priceLineVisible: false,
  });
  const total = chart.addSeries(LC.LineSeries, {
    color: color("--bid", "#2ebd85"), lineWidth: 2, priceLineVisible: false,
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

// Dashboard: the portfolio's total over 24 h, 7 d, 30 d or 1 y, one point per stored snapshot
// (taken every five minutes by Celery beat, thinned as they age). Values are exact decimal
// strings from the server; Number() only places them on the chart.
import { themeColor, themedChart } from "./lib/chart.js";
import { $ } from "./lib/dom.js";

const root = $("value-history");
if (root && window.LightweightCharts) follow(root);

function follow(root) {
  const state = $("value-history-state");
  const line = chart($("value-chart"));
  const buttons = [...root.querySelectorAll("button[data-range]")];
  const show = async (span) => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.range === span));
    state.textContent = "Loading…";
    try {
      const resp = await fetch(`${root.dataset.url}?range=${encodeURIComponent(span)}`, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const { points, estimatedUntil } = await resp.json();
      line.setData(points.map(([ms, usd]) => ({ time: Math.floor(ms / 1000), value: Number(usd) })));
      line.chart.timeScale().fitContent();
      root.dataset.points = String(points.length);
      root.dataset.range = span;
      const estimated = estimatedUntil
        ? ` Daily values up to ${new Date(estimatedUntil).toISOString().slice(0, 10)} are estimated from the account's history.`
        : "";
      state.textContent = points.length
        ? `${points.length} snapshot${points.length === 1 ? "" : "s"}, the last ${points[points.length - 1][1]} USD.${estimated}`
        : "No snapshot in this range yet: one is taken every five minutes.";
    } catch (err) {
      state.textContent = `Could not load the history (${err.message}).`;
    }
  };
  for (const b of buttons) b.addEventListener("click", () => show(b.dataset.range));
  show(buttons[0] ? buttons[0].dataset.range : "24h");
}

function chart(el) {
  const c = themedChart(el, { timeVisible: true });
  const series = c.addSeries(window.LightweightCharts.AreaSeries, {
    lineColor: themeColor("--accent", "#f0b90b"), topColor: "rgba(240,185,11,.25)",
    bottomColor: "rgba(240,185,11,0)", lineWidth: 2,
  });
  series.chart = c;
  return series;
}

// Credit line tab: the live part (gauge, figures, loans, collateral, alerts, transfers) follows
// the polls and transfers without a reload, and the loan-to-value chart gains a point per poll.
//
// The server pushes "creditLine" on the connection's socket after each poll that stored figures
// and when a transfer changes; the page then swaps in the live part. Until a push has arrived on
// an open socket the live part is re-read every 30 s (lib/live.js).
import { themeColor, themedChart } from "./lib/chart.js";
import { $ } from "./lib/dom.js";
import { connectionHub } from "./lib/hub.js";
import { followLivePart } from "./lib/live.js";

const root = $("creditline");
if (root && root.dataset.connection) follow(root);

function follow(root) {
  const box = $("creditline-live");
  const hub = connectionHub(root.dataset.connection);
  const chart = ltvChart();
  followLivePart(box, hub, "creditLine", {
    ms: 30000,
    onPush: (msg) => { if (msg.ltv && chart) chart.add(Date.now(), msg.ltv); },
    drawn: () => { if (chart) chart.thresholds(); },
  });
}

// The LTV at each poll (a line) with the three thresholds as horizontal lines. Values are exact
// decimal strings from the server; Number() only places them on the chart.
function ltvChart() {
  const el = $("ltv-chart"), data = $("ltv-series");
  const LC = window.LightweightCharts;
  if (!el || !data || !LC) return null;
  const chart = themedChart(el, { timeVisible: true });
  const line = chart.addSeries(LC.LineSeries, { color: themeColor("--accent", "#f0b90b"), lineWidth: 2 });
  const points = new Map(); // second -> value: one point per second, ascending
  for (const [ms, value] of JSON.parse(data.textContent) || []) points.set(Math.floor(ms / 1000), Number(value));
  const draw = () => {
    line.setData([...points].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value })));
    el.dataset.points = String(points.size);
  };
  const marks = [];
  const thresholds = () => {
    for (const m of marks.splice(0)) line.removePriceLine(m);
    const g = $("ltv-gauge");
    if (!g) return;
    const rows = [
      ["initial", "Initial", themeColor("--muted", "#8a96a3")],
      ["marginCall", "Margin call", themeColor("--accent", "#f0b90b")],
      ["liquidation", "Liquidation", themeColor("--ask", "#f6465d")],
    ];
    for (const [key, title, lineColor] of rows) {
      const value = g.dataset[key];
      if (value) marks.push(line.createPriceLine({ price: Number(value), title, color: lineColor, lineStyle: 2 }));
    }
  };
  draw();
  thresholds();
  chart.timeScale().fitContent();
  return {
    add(ms, value) {
      points.set(Math.floor(ms / 1000), Number(value));
      draw();
    },
    thresholds,
  };
}

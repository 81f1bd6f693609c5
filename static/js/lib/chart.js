// The desk's charts (TradingView's Lightweight Charts, loaded as a global by the page): one
// look for all of them, drawn from the page's CSS colours so a theme change reaches every chart.

// A CSS custom property of the page, or `fallback` where the stylesheet has none.
export function themeColor(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

// A chart in `el` with the desk's look. `timeVisible`: label times of day, not only dates;
// `leftScale`: a second price scale on the left (two series in different units).
export function themedChart(el, { timeVisible = false, leftScale = false } = {}) {
  const border = themeColor("--line", "#26313d");
  const options = {
    autoSize: true,
    layout: {
      background: { type: "solid", color: themeColor("--card", "#182029") },
      textColor: themeColor("--muted", "#8a96a3"), fontSize: 11, attributionLogo: false,
    },
    grid: { vertLines: { color: "#1e2832" }, horzLines: { color: "#1e2832" } },
    rightPriceScale: { borderColor: border },
    timeScale: { borderColor: border, ...(timeVisible ? { timeVisible: true } : {}) },
  };
  if (leftScale) options.leftPriceScale = { visible: true, borderColor: border };
  return window.LightweightCharts.createChart(el, options);
}

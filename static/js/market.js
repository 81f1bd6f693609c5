// Live market data for one symbol: order book ladder, trades tape and sync badge (dashboard and
// market page), plus the market page's 24h ticker strip and candlestick chart when present.
//
// Prices and quantities stay decimal STRINGS end to end (lib/decimal.js). Number() appears only
// where a chart needs coordinates (candle/volume series, depth-bar widths), and says so.
// The depth chart listens to the "market:book" / "market:state" events emitted on #market.
import * as D from "./lib/decimal.js";
import { getJSON } from "./lib/http.js";
import { $, setText } from "./lib/dom.js";
import { openSocket } from "./lib/socket.js";

const root = document.getElementById("market");
if (root) start(root);

function start(root) {
  const symbol = root.dataset.symbol;
  const stateEl = $("sync-state");
  // The server re-sends the book at least every ~10 s even when nothing changed (heartbeat), so
  // silence for longer than that means the data is stale.
  const STALE_MS = 15000;
  const MAX_TRADES = 60;

  let precision = null; // {price: decimals, qty: decimals} from the server
  let lastBookAt = 0;
  let bookState = "connecting";
  let socket = "connecting"; // connecting | open | closed | denied
  let lastBook = null; // last live book message (bids/asks best first)
  let lastTradePrice = null;
  let lastTradeDir = "";

  const emit = (name, detail) => root.dispatchEvent(new CustomEvent(name, { detail }));

  // ---- Sync badge ------------------------------------------------------------------------
  function showState() {
    let state = bookState;
    let label = bookState;
    const age = lastBookAt ? Date.now() - lastBookAt : 0;
    if (socket === "denied") { state = "denied"; label = "not signed in"; }
    else if (socket !== "open") { state = socket === "connecting" ? "connecting" : "reconnecting"; label = state + "…"; }
    else if (lastBookAt && age > STALE_MS) { state = "stale"; label = "stale " + Math.round(age / 1000) + " s"; }
    else if (bookState === "resyncing" || bookState === "syncing" || bookState === "connecting") { label = bookState + "…"; }
    if (stateEl.dataset.state !== state) {
      stateEl.dataset.state = state;
      root.classList.toggle("book-dim", state !== "live");
      emit("market:state", { state });
    }
    if (stateEl.textContent !== label) stateEl.textContent = label;
    stateEl.title = lastBookAt ? "last book update " + Math.round(age / 1000) + " s ago" : "";
  }

  // ---- Ladder ----------------------------------------------------------------------------
  const levelsSel = $("levels");
  const groupSel = $("grouping");
  const depthLabel = $("book-depth-label");
  let levels = Number(root.dataset.levels || (levelsSel && levelsSel.value) || 20);
  if (levelsSel) {
    if (![...levelsSel.options].some((o) => Number(o.value) === levels)) {
      levelsSel.add(new Option(String(levels), String(levels)));
    }
    levelsSel.value = String(levels);
    levelsSel.addEventListener("change", () => { levels = Number(levelsSel.value); renderBook(); });
  }
  let groupMult = 1n;
  if (groupSel) {
    groupSel.addEventListener("change", () => { groupMult = BigInt(groupSel.value); renderBook(); });
  }

  // Every book and trades message carries the precision: the grouping menu is relabelled only
  // when it changes (setting an option's text, even to the same text, re-lays the menu out).
  function takePrecision(p) {
    if (!p || (precision && precision.price === p.price && precision.qty === p.qty)) return;
    precision = p;
    labelGroupOptions();
  }

  function labelGroupOptions() {
    if (!groupSel || !precision) return;
    for (const opt of groupSel.options) {
      opt.textContent = D.fromUnits(BigInt(opt.value), precision.price);
    }
  }

  // Levels (best first) grouped to multiples of groupMult ticks: bids round down, asks round up,
  // quantities summed. Returns [{price, qty, qtyU}] with qtyU a BigInt at qdp decimals.
  function group(side, isBid, pdp, qdp) {
    const g = groupMult;
    const out = [];
    for (const [p, q] of side) {
      const pu = D.toUnits(p, pdp);
      const gp = g === 1n ? pu : isBid ? (pu / g) * g : ((pu + g - 1n) / g) * g;
      const qu = D.toUnits(q, qdp);
      const last = out[out.length - 1];
      if (last && last.pu === gp) last.qtyU += qu;
      else { if (out.length >= levels) break; out.push({ pu: gp, qtyU: qu }); }
    }
    return out.map((r) => ({ price: D.fromUnits(r.pu, pdp), qtyU: r.qtyU, qty: D.fromUnits(r.qtyU, qdp) }));
  }

  function makeRow(cls) {
    const tr = document.createElement("tr");
    tr.className = cls;
    tr.innerHTML = "<td class='num price'></td><td class='num qty'></td><td class='num total'></td>";
    return tr;
  }

  function renderSide(tbody, rows, cls, maxCum, qdp) {
    while (tbody.children.length > rows.length) tbody.lastElementChild.remove();
    while (tbody.children.length < rows.length) tbody.appendChild(makeRow(cls));
    rows.forEach((r, i) => {
      const tr = tbody.children[i];
      setText(tr.children[0], D.fix(r.price, precision && precision.price));
      setText(tr.children[1], D.fix(r.qty, precision && precision.qty));
      setText(tr.children[2], D.fix(D.fromUnits(r.cum, qdp), precision && precision.qty));
      // Bar width is presentation only: a BigInt ratio in basis points, then a CSS percentage.
      const pct = maxCum > 0n ? Number((r.cum * 10000n) / maxCum) / 100 : 0;
      tr.style.setProperty("--depth", pct + "%");
    });
  }

  function renderBook() {
    if (depthLabel) depthLabel.textContent = "top " + levels;
    if (!lastBook) return;
    const { bids, asks } = lastBook;
    const all = bids.concat(asks);
    // Scales: the symbol's precision, widened if the exchange ever sends more digits.
    const pdp = Math.max(precision ? precision.price : 0, ...all.map((l) => D.decimalsOf(l[0])));
    const qdp = Math.max(precision ? precision.qty : 0, ...all.map((l) => D.decimalsOf(l[1])));
    const b = group(bids, true, pdp, qdp);
    const a = group(asks, false, pdp, qdp);
    let cum = 0n;
    for (const r of b) { cum += r.qtyU; r.cum = cum; }
    const maxB = cum;
    cum = 0n;
    for (const r of a) { cum += r.qtyU; r.cum = cum; }
    const maxCum = cum > maxB ? cum : maxB;
    renderSide($("asks"), a.reverse(), "ask", maxCum, qdp); // highest first: best ask is the last row
    renderSide($("bids"), b, "bid", maxCum, qdp);
    renderSpread();
  }

  function renderSpread() {
    const el = $("spread");
    if (!el) return;
    const p = precision && precision.price;
    const parts = [];
    if (lastTradePrice) {
      parts.push("<span class='last-price " + lastTradeDir + "'></span>");
    }
    parts.push("<span class='spread-value muted'></span>");
    el.innerHTML = parts.join(" ");
    if (lastTradePrice) el.querySelector(".last-price").textContent = D.fix(lastTradePrice, p) + (lastTradeDir === "up" ? " ▲" : lastTradeDir === "down" ? " ▼" : "");
    let text = "spread —";
    if (lastBook && lastBook.bids.length && lastBook.asks.length) {
      const bid = lastBook.bids[0][0], ask = lastBook.asks[0][0];
      const spread = D.sub(ask, bid);
      const pct = D.percentOf(spread, ask, 3);
      text = "spread " + D.fix(spread, p) + (pct ? " (" + pct + " %)" : "");
      el.dataset.bestBid = bid;
      el.dataset.bestAsk = ask;
    }
    el.querySelector(".spread-value").textContent = text;
  }

  function onBook(msg) {
    bookState = msg.state;
    takePrecision(msg.precision);
    lastBookAt = Date.now();
    // While syncing/resyncing the server sends empty sides: keep the last good ladder (dimmed).
    if (msg.state === "live") {
      lastBook = { bids: msg.bids, asks: msg.asks };
      root.dataset.lastUpdateId = msg.lastUpdateId;
      root.dataset.bidsSent = String(msg.bids.length); // levels the server has (rows <= this)
      root.dataset.asksSent = String(msg.asks.length);
      renderBook();
    }
    showState();
    emit("market:book", { ...msg, precision });
  }

  // ---- Trades tape -----------------------------------------------------------------------
  // The newest trades stand out until newer ones come, or for FRESH_MS: a class put on and
  // taken off, one redraw each. A fading animation redrew the page on every frame for as long
  // as trades kept coming, which on a busy symbol is always (bench/page_cpu.py).
  const FRESH_MS = 1000;
  let freshTimer = null;
  function markFresh(tbody, rows) {
    for (const tr of tbody.querySelectorAll("tr.fresh")) tr.classList.remove("fresh");
    for (const tr of rows) tr.classList.add("fresh");
    clearTimeout(freshTimer);
    freshTimer = setTimeout(() => { for (const tr of rows) tr.classList.remove("fresh"); }, FRESH_MS);
  }

  function onTrades(msg) {
    takePrecision(msg.precision);
    const tbody = $("trades");
    if (!tbody) return;
    const frag = document.createDocumentFragment();
    for (const t of msg.trades) {
      const tr = document.createElement("tr");
      tr.className = t.buyerMaker ? "sell" : "buy";
      tr.dataset.tradeId = t.id;
      tr.innerHTML = "<td class='num price'></td><td class='num'></td><td class='num time'></td>";
      tr.children[0].textContent = D.fix(t.price, precision && precision.price);
      tr.children[1].textContent = D.fix(t.qty, precision && precision.qty);
      tr.children[2].textContent = new Date(t.time).toISOString().substring(11, 19);
      frag.appendChild(tr);
    }
    const rows = [...frag.children];
    if (msg.reset) tbody.replaceChildren(frag); else tbody.prepend(frag);
    while (tbody.children.length > MAX_TRADES) tbody.lastElementChild.remove();
    if (!msg.reset && rows.length) markFresh(tbody, rows);
    if (msg.trades.length) {
      const price = msg.trades[0].price;
      if (lastTradePrice) {
        const c = D.cmp(price, lastTradePrice);
        if (c) lastTradeDir = c > 0 ? "up" : "down";
      }
      lastTradePrice = price;
      renderSpread();
    }
  }

  // ---- 24h ticker strip (market page) ----------------------------------------------------
  const ticker = $("ticker");
  function onTicker(m) {
    if (!ticker) return;
    const p = precision && precision.price;
    const q = precision && precision.qty;
    setText($("tk-last"), D.fix(m.lastPrice, p));
    const neg = D.isNeg(m.priceChange);
    const sign = neg ? "" : "+";
    setText($("tk-change"), sign + D.fix(m.priceChange, p) + "  " + sign + D.round(m.priceChangePercent, 2) + " %");
    for (const id of ["tk-last", "tk-change"]) {
      $(id).classList.toggle("down", neg);
      $(id).classList.toggle("up", !neg);
    }
    setText($("tk-high"), D.fix(m.highPrice, p));
    setText($("tk-low"), D.fix(m.lowPrice, p));
    setText($("tk-volume"), D.grouped(q !== null && q !== undefined ? D.round(m.volume, q) : m.volume));
    setText($("tk-qvolume"), D.grouped(D.round(m.quoteVolume, 2)));
    ticker.dataset.lastPrice = m.lastPrice;
    document.title = D.fix(m.lastPrice, p) + " · " + symbol + " · Binance.US Desk";
  }

  // ---- Candlestick chart (market page) ---------------------------------------------------
  const chart = setupChart();

  function setupChart() {
    const el = $("chart");
    const LC = window.LightweightCharts;
    if (!el || !LC) return null;
    const INTERVAL_MS = { "1m": 60e3, "5m": 300e3, "15m": 900e3, "1h": 3600e3, "4h": 14400e3, "1d": 86400e3 };
    const css = getComputedStyle(document.documentElement);
    const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    const up = color("--bid", "#2ebd85"), down = color("--ask", "#f6465d");
    const lc = LC.createChart(el, {
      autoSize: true,
      // The library's logo injects a <style> element, which the CSP blocks: the attribution
      // its licence asks for is the link under the chart instead.
      layout: {
        background: { type: "solid", color: color("--card", "#182029") }, textColor: color("--muted", "#8a96a3"), fontSize: 11,
        attributionLogo: false,
      },
      grid: { vertLines: { color: "#1e2832" }, horzLines: { color: "#1e2832" } },
      rightPriceScale: { borderColor: color("--line", "#26313d") },
      timeScale: { borderColor: color("--line", "#26313d"), timeVisible: true, secondsVisible: false },
      crosshair: { mode: LC.CrosshairMode.Normal },
    });
    const candles = lc.addSeries(LC.CandlestickSeries, {
      upColor: up, downColor: down, borderVisible: false, wickUpColor: up, wickDownColor: down,
    });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.24 } });
    const volume = lc.addSeries(LC.HistogramSeries, {
      priceScaleId: "volume", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false,
    });
    lc.priceScale("volume").applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });

    const buttons = [...document.querySelectorAll("#intervals [data-interval]")];
    let interval = el.dataset.interval || "1m";
    let bars = []; // {t, o, h, l, c, base, mins: {minuteOpenMs: volume}} — all strings but t
    let loading = null; // klines arriving while loading are queued here
    let seq = 0;
    let pricePrecision = null;

    // Chart coordinates: the library needs numbers, so Number() here is for drawing only.
    const candle = (b) => ({ time: b.t / 1000, open: Number(b.o), high: Number(b.h), low: Number(b.l), close: Number(b.c) });
    const volumeOf = (b) => Object.values(b.mins).reduce((acc, v) => D.add(acc, v), b.base);
    const volBar = (b) => ({
      time: b.t / 1000, value: Number(volumeOf(b)),
      color: D.cmp(b.c, b.o) >= 0 ? "rgba(46,189,133,.45)" : "rgba(246,70,93,.45)",
    });

    function applyPrecision() {
      if (!precision || precision.price === pricePrecision) return;
      pricePrecision = precision.price;
      candles.applyOptions({ priceFormat: { type: "price", precision: pricePrecision, minMove: Number("1e-" + pricePrecision) } });
    }

    async function load(iv) {
      const mySeq = ++seq;
      interval = iv;
      loading = [];
      el.dataset.interval = iv;
      el.dataset.loading = "1";
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.interval === iv)));
      const base = el.dataset.klinesUrl;
      try {
        // For intervals above 1m, also fetch the 1m candle in progress: the bar we load includes
        // its volume so far, and live 1m updates will report that minute's volume again.
        const [data, minute] = await Promise.all([
          getJSON(base + "?interval=" + iv + "&limit=500"),
          iv === "1m" ? null : getJSON(base + "?interval=1m&limit=1").catch(() => null),
        ]);
        if (mySeq !== seq) return;
        bars = data.klines.map((k) => ({ t: k[0], o: k[1], h: k[2], l: k[3], c: k[4], base: k[5], mins: {} }));
        const last = bars[bars.length - 1];
        const m = iv === "1m" ? (last ? data.klines[data.klines.length - 1] : null)
          : minute && minute.klines.length ? minute.klines[minute.klines.length - 1] : null;
        if (last && m && m[0] >= last.t && m[0] < last.t + INTERVAL_MS[iv]) {
          const rest = D.sub(last.base, m[5]);
          last.base = D.isNeg(rest) ? "0" : rest;
          last.mins[m[0]] = m[5];
        }
        applyPrecision();
        candles.setData(bars.map(candle));
        volume.setData(bars.map(volBar));
        lc.timeScale().scrollToRealTime();
        el.dataset.bars = String(bars.length);
        el.classList.remove("chart-error");
        const queued = loading;
        loading = null;
        queued.forEach(onKline);
      } catch (err) {
        if (mySeq !== seq) return;
        loading = null;
        el.classList.add("chart-error");
        console.warn("klines:", err.url || "", err.message);
      } finally {
        if (mySeq === seq) delete el.dataset.loading;
      }
    }

    // Live 1m candles, folded into the bar of the selected interval.
    function onKline(m) {
      if (m.interval && m.interval !== "1m") return;
      if (loading) { loading.push(m); return; }
      const ms = INTERVAL_MS[interval];
      const t = Math.floor(m.t / ms) * ms;
      let last = bars[bars.length - 1];
      if (last && t < last.t) return; // older than the chart's last bar: the library refuses it
      if (!last || t > last.t) {
        last = { t, o: m.o, h: m.h, l: m.l, c: m.c, base: "0", mins: {} };
        bars.push(last);
        if (bars.length > 1500) bars.shift();
      } else {
        last.h = D.max(last.h, m.h);
        last.l = D.min(last.l, m.l);
        last.c = m.c;
      }
      last.mins[m.t] = m.v;
      applyPrecision();
      candles.update(candle(last));
      volume.update(volBar(last));
      el.dataset.bars = String(bars.length);
      el.dataset.lastClose = last.c;
    }

    buttons.forEach((b) => b.addEventListener("click", () => { if (b.dataset.interval !== interval || !bars.length) load(b.dataset.interval); }));
    load(interval);
    return { onKline, reload: () => load(interval) };
  }

  // ---- Socket ----------------------------------------------------------------------------
  let everOpened = false;
  openSocket(root.dataset.ws, {
    onMessage(msg) {
      if (msg.symbol && msg.symbol !== symbol) return;
      if (msg.type === "book") onBook(msg);
      else if (msg.type === "trades") onTrades(msg);
      else if (msg.type === "ticker") onTicker(msg);
      else if (msg.type === "kline" && chart) chart.onKline(msg);
      emit("market:message", msg);
    },
    onState(s, code) {
      if (s === "open") {
        // Candles may have closed while we were away: refetch them after a reconnect.
        if (everOpened && chart) chart.reload();
        everOpened = true;
        socket = "open";
      } else {
        socket = code >= 4400 && code < 4500 ? "denied" : "closed";
      }
      showState();
    },
    port: root.dataset.wsPort,
  });
  renderBook();
  showState();
  setInterval(showState, 1000);
}

// Cumulative depth chart of the live book, drawn on a canvas. Listens to the "market:book"
// events market.js emits on #market. Cumulative sizes are summed as decimal strings (BigInt
// scaled integers); Number() is used only to turn them into pixel coordinates.
import * as D from "./lib/decimal.js";

const root = document.getElementById("market");
const box = document.getElementById("depth");
const canvas = document.getElementById("depth-canvas");
if (root && box && canvas) start();

function start() {
  const ctx = canvas.getContext("2d");
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const C = {
    bid: color("--bid", "#2ebd85"), ask: color("--ask", "#f6465d"), muted: color("--muted", "#8a96a3"),
    line: color("--line", "#26313d"), fg: color("--fg", "#e6e9ee"), card: color("--card", "#182029"),
  };
  const PAD = { l: 8, r: 64, t: 10, b: 22 };
  let book = null; // {bids: [{price, cum}], asks: [...], pdp, qdp}
  let dim = false;
  let hoverX = null;
  let queued = false;

  // Cumulative levels as strings, best first.
  function cumulative(side, qdp) {
    let cum = 0n;
    return side.map(([price, qty]) => {
      cum += D.toUnits(qty, qdp);
      return { price, qty, cum: D.fromUnits(cum, qdp) };
    });
  }

  root.addEventListener("market:book", (ev) => {
    const m = ev.detail;
    if (m.state !== "live" || !m.bids.length || !m.asks.length) return; // keep the last good picture
    const all = m.bids.concat(m.asks);
    const pdp = Math.max(m.precision ? m.precision.price : 0, ...all.map((l) => D.decimalsOf(l[0])));
    const qdp = Math.max(m.precision ? m.precision.qty : 0, ...all.map((l) => D.decimalsOf(l[1])));
    book = { bids: cumulative(m.bids, qdp), asks: cumulative(m.asks, qdp), pdp, qdp, precision: m.precision };
    schedule();
  });
  root.addEventListener("market:state", (ev) => { dim = ev.detail.state !== "live"; schedule(); });
  canvas.addEventListener("mousemove", (ev) => { hoverX = ev.offsetX; schedule(); });
  canvas.addEventListener("mouseleave", () => { hoverX = null; schedule(); });
  window.addEventListener("resize", schedule);

  function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; draw(); });
  }

  function draw() {
    const w = box.clientWidth, h = box.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, monospace";
    if (!book) {
      ctx.fillStyle = C.muted;
      ctx.textAlign = "center";
      ctx.fillText("waiting for the live book…", w / 2, h / 2);
      return;
    }
    const p = book.precision ? book.precision.price : null;
    const q = book.precision ? book.precision.qty : null;
    // Coordinates only: decimal strings become numbers here to place pixels.
    const bestBid = Number(book.bids[0].price), bestAsk = Number(book.asks[0].price);
    const mid = (bestBid + bestAsk) / 2;
    const lowBid = Number(book.bids[book.bids.length - 1].price);
    const highAsk = Number(book.asks[book.asks.length - 1].price);
    const half = Math.max(mid - lowBid, highAsk - mid) || 1;
    const x0 = mid - half, x1 = mid + half;
    const maxCum = Math.max(Number(book.bids[book.bids.length - 1].cum), Number(book.asks[book.asks.length - 1].cum)) || 1;
    const pw = w - PAD.l - PAD.r, ph = h - PAD.t - PAD.b;
    const X = (price) => PAD.l + ((price - x0) / (x1 - x0)) * pw;
    const Y = (cum) => PAD.t + ph - (cum / (maxCum * 1.08)) * ph;

    // Grid and axes.
    ctx.strokeStyle = C.line;
    ctx.lineWidth = 1;
    ctx.fillStyle = C.muted;
    ctx.textAlign = "left";
    for (let i = 0; i <= 4; i++) {
      const y = Math.round(PAD.t + (ph * i) / 4) + 0.5;
      ctx.beginPath(); ctx.moveTo(PAD.l, y); ctx.lineTo(PAD.l + pw, y); ctx.stroke();
      const v = (maxCum * 1.08 * (4 - i)) / 4;
      ctx.fillText(v >= 1000 ? (v / 1000).toFixed(1) + "k" : v.toPrecision(3), PAD.l + pw + 6, y + 4);
    }
    // Price axis labels: the book's own strings at the ends and the best prices in the middle.
    ctx.textAlign = "center";
    const labels = [
      [book.bids[book.bids.length - 1].price, "left"], [book.bids[0].price, "right"],
      [book.asks[0].price, "left"], [book.asks[book.asks.length - 1].price, "right"],
    ];
    for (const [price, align] of labels) {
      ctx.textAlign = align;
      ctx.fillText(D.fix(price, p), X(Number(price)) + (align === "left" ? 2 : -2), h - 6);
    }

    ctx.globalAlpha = dim ? 0.4 : 1;
    drawSide(book.bids, C.bid, X, Y, PAD.l);
    drawSide(book.asks, C.ask, X, Y, PAD.l + pw);
    ctx.globalAlpha = 1;

    // Mid line.
    ctx.strokeStyle = C.muted;
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(X(mid), PAD.t); ctx.lineTo(X(mid), PAD.t + ph); ctx.stroke();
    ctx.setLineDash([]);

    if (hoverX !== null && hoverX >= PAD.l && hoverX <= PAD.l + pw) hover(X, Y, mid, p, q, pw, ph);
  }

  // Step curve from the best price outwards, filled down to the axis.
  function drawSide(levels, stroke, X, Y, edgeX) {
    const base = Y(0);
    ctx.beginPath();
    let x = X(Number(levels[0].price));
    ctx.moveTo(x, base);
    let y = base;
    for (const l of levels) {
      x = X(Number(l.price));
      ctx.lineTo(x, y);
      y = Y(Number(l.cum));
      ctx.lineTo(x, y);
    }
    ctx.lineTo(edgeX, y);
    ctx.lineTo(edgeX, base);
    ctx.closePath();
    ctx.fillStyle = stroke + "33";
    ctx.fill();
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }

  // Crosshair: the level under the mouse, with its exact price and cumulative size (strings).
  function hover(X, Y, mid, p, q, pw, ph) {
    const bidSide = hoverX < X(mid);
    const side = bidSide ? book.bids : book.asks;
    let hit = null;
    for (const l of side) {
      const lx = X(Number(l.price));
      if (bidSide ? lx >= hoverX : lx <= hoverX) hit = l; else break;
    }
    if (!hit) return;
    const hx = X(Number(hit.price)), hy = Y(Number(hit.cum));
    ctx.strokeStyle = C.fg;
    ctx.globalAlpha = 0.5;
    ctx.beginPath(); ctx.moveTo(hx + 0.5, PAD.t); ctx.lineTo(hx + 0.5, PAD.t + ph); ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillStyle = bidSide ? C.bid : C.ask;
    ctx.beginPath(); ctx.arc(hx, hy, 3, 0, Math.PI * 2); ctx.fill();
    const lines = ["price " + D.fix(hit.price, p), "total " + D.fix(hit.cum, q)];
    const tw = Math.max(...lines.map((s) => ctx.measureText(s).width)) + 12;
    const tx = Math.min(Math.max(hx + 8, PAD.l), PAD.l + pw - tw);
    const ty = Math.max(PAD.t, Math.min(hy - 40, PAD.t + ph - 36));
    ctx.fillStyle = "rgba(15,20,25,.92)";
    ctx.fillRect(tx, ty, tw, 34);
    ctx.strokeStyle = C.line;
    ctx.strokeRect(tx + 0.5, ty + 0.5, tw, 34);
    ctx.fillStyle = C.fg;
    ctx.textAlign = "left";
    lines.forEach((s, i) => ctx.fillText(s, tx + 6, ty + 14 + i * 14));
  }

  schedule();
}

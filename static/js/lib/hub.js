// One socket per connection per page, shared by every widget on it. Widgets subscribe to the
// connection's hub instead of opening sockets of their own: the toasts, the balances card, the
// ticket and the open orders of the same connection all read one /ws/connections/<pk>/.
//
// State-like messages (the balances snapshot the server sends on connect and after each sync)
// are replayed to a widget that subscribes late, so the order in which page modules run does not
// decide what they see.
import { openSocket } from "./socket.js";

const REPLAYED = new Set(["balances"]);
const hubs = new Map();

function createHub(pk) {
  const listeners = new Set();
  const stateListeners = new Set();
  const latest = new Map();
  let state = "connecting"; // connecting | open | closed | denied

  openSocket(`/ws/connections/${pk}/`, {
    onMessage(msg) {
      if (REPLAYED.has(msg.type)) latest.set(msg.type, msg);
      for (const fn of listeners) fn(msg);
    },
    onState(s, code) {
      state = s === "open" ? "open" : code >= 4400 && code < 4500 ? "denied" : "closed";
      for (const fn of stateListeners) fn(state);
    },
  });

  return {
    pk,
    // fn(message) for every message of this connection; returns an unsubscribe function.
    subscribe(fn) {
      listeners.add(fn);
      for (const msg of latest.values()) fn(msg);
      return () => listeners.delete(fn);
    },
    // fn(state) now and on every change: "connecting", "open", "closed" or "denied".
    onState(fn) {
      stateListeners.add(fn);
      fn(state);
      return () => stateListeners.delete(fn);
    },
    get state() { return state; },
  };
}

export function connectionHub(pk) {
  pk = Number(pk);
  if (!hubs.has(pk)) hubs.set(pk, createHub(pk));
  return hubs.get(pk);
}

// Polls `fn` every `ms` while the hub cannot be trusted to deliver pushes for it: while its socket
// is down, and, once it is up, until the first push of the kind the page follows has arrived
// (the page calls `pushed()`): a server without that push still gets its page updated. `fn`
// returns false when there is nothing left to follow.
//
// `fn` also runs once whenever the socket opens (or is open when the page starts following it):
// the server pushes only to sockets already in the connection's group, so whatever happened
// between the page's render (or the socket's drop) and now would otherwise wait for the next
// poll. A worker often settles what a form just asked for before the page it redirected to has
// its socket.
export function pollUnlessPushed(hub, fn, ms) {
  let timer = null;
  let stopped = false;
  let trusted = false; // a push arrived on the socket that is open now
  const tick = async () => {
    timer = null;
    let again = true;
    try { again = (await fn()) !== false; } catch (err) { again = true; }
    if (again === false) stopped = true;
    schedule();
  };
  function schedule() {
    if (stopped || timer !== null || (trusted && hub.state === "open")) return;
    timer = setTimeout(tick, ms);
  }
  hub.onState((s) => {
    if (s !== "open") trusted = false;
    if (s === "open" && !stopped) {
      clearTimeout(timer);
      tick();
      return;
    }
    schedule();
  });
  return {
    pushed() {
      trusted = hub.state === "open";
      if (trusted && timer !== null) { clearTimeout(timer); timer = null; }
    },
    stop() { stopped = true; clearTimeout(timer); },
  };
}

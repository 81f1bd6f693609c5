// The dashboard's "Needs attention" card, kept current from the connections' sockets (the hubs
// every widget of the page shares): the order pushes the Orders page follows say when an order
// or OCO list whose outcome was unknown is settled, and when one becomes unknown.
//
// A settled one leaves the list at once; the list is then read again from the server (the same
// partial the page included), which also brings the "nothing needs your attention" line. A row
// that became unknown is news the server words: the list is read again. Items of other kinds
// (syncs, failed runs, ...) change when the page is loaded.
import { connectionHub } from "./lib/hub.js";
import { swapIn } from "./lib/dom.js";

// Frames that carry a row a "needs attention" item can be about: the item's kind, the row, and
// whether the row's outcome is still open (the states attention.py lists are among these).
const FRAMES = {
  order: {
    kind: "order-unknown",
    row: (msg) => msg.order,
    unsettled: (row) => row.isUnsettled,
    unknown: (row) => row.status === "UNKNOWN",
  },
  orderList: {
    kind: "oco-unknown",
    row: (msg) => msg.orderList,
    unsettled: (row) => ["SENDING", "UNKNOWN"].includes(row.listStatusType),
    unknown: (row) => row.listStatusType === "UNKNOWN",
  },
};

function follow(root) {
  const box = document.getElementById("attention-list");
  const status = document.getElementById("attention-status");
  // Rows seen settled while a read of the list was under way: that read may have been answered
  // before the push and must not bring them back.
  const settled = new Set();
  const key = (kind, id) => `${kind}:${id}`;
  const itemOf = (kind, id) => box.querySelector(`li[data-kind="${kind}"][data-object="${id}"]`);

  let reading = null; // the read of the list in flight
  let again = false; // another read wanted once it is done
  function reread() {
    if (reading) { again = true; return; }
    reading = swapIn(box, root.dataset.liveUrl)
      .then(() => {
        for (const li of box.querySelectorAll("li[data-kind][data-object]")) {
          if (!settled.has(key(li.dataset.kind, li.dataset.object))) continue;
          li.remove();
          again = true; // a read from after the push: right, down to the "nothing" line
        }
        settled.clear(); // the next read starts after every push seen so far
      })
      .catch(() => {}) // the list stays as it was; the next push or reconnect reads it again
      .finally(() => {
        reading = null;
        if (again) { again = false; reread(); }
      });
  }

  function onMessage(msg) {
    const frame = FRAMES[msg.type];
    if (!frame) return;
    const row = frame.row(msg);
    if (!row) return;
    const item = itemOf(frame.kind, row.id);
    if (!frame.unsettled(row)) {
      if (reading) settled.add(key(frame.kind, row.id));
      if (!item) return;
      const text = item.querySelector("a").textContent;
      item.remove();
      status.textContent = `No longer needs attention: ${text}`;
      reread();
    } else if (frame.unknown(row) && !item) {
      settled.delete(key(frame.kind, row.id));
      reread();
    }
  }

  const pks = (root.dataset.connections || "").split(",").filter(Boolean);
  for (const pk of pks) {
    const hub = connectionHub(pk);
    hub.subscribe(onMessage);
    // A push reaches only sockets already listening: once a socket opens (at first, or back
    // after a drop) the list is read again for whatever happened in between.
    hub.onState((state) => { if (state === "open") reread(); });
  }
}

// Started once every declaration above is made: a hub replays what it already holds to a new
// subscriber at once, so onMessage can run inside follow() itself (FRAMES must exist by then).
const root = document.getElementById("attention");
if (root) follow(root);

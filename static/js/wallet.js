// Wallet page: copy buttons for the deposit address and memo, and history tables that follow
// the worker's syncs without a reload.
//
// The server pushes "walletActivity" on the connection's socket after each sync; the page then
// swaps in the tables (same filters and pages as the page's own query). When the balances the
// socket pushes change (a deposit credited, a withdrawal sent or refunded: the stream's
// balanceUpdate), the page asks for a sync of the held coins, which the server debounces.
// Until a walletActivity push has arrived on an open socket (a server whose socket does not
// forward it yet) the tables are re-read every 20 s, as hub.js's pollUnlessPushed does for
// every page.
import { connectionHub, pollUnlessPushed } from "./lib/hub.js";
import { swapIn } from "./lib/dom.js";
import { postForm } from "./lib/http.js";

const root = document.getElementById("wallet");
if (root && root.dataset.connection) {
  wireCopyButtons(root);
  followActivity(root);
}

function wireCopyButtons(scope) {
  const status = document.getElementById("copy-status");
  for (const btn of scope.querySelectorAll("button.copy[data-copy]")) {
    btn.addEventListener("click", async () => {
      const source = document.getElementById(btn.dataset.copy);
      if (!source) return;
      const text = source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        if (status) status.textContent = `Copied: ${text}`;
      } catch (err) {
        // No clipboard (an insecure origin, a refused permission): select it for Ctrl-C.
        const range = document.createRange();
        range.selectNodeContents(source);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        if (status) status.textContent = "Selected: press Ctrl-C (⌘-C) to copy.";
      }
    });
  }
}

function followActivity(root) {
  const box = document.getElementById("activity-tables");
  if (!box) return;
  const hub = connectionHub(root.dataset.connection);

  const refresh = () => swapIn(box, root.dataset.tablesUrl + window.location.search);

  const poller = pollUnlessPushed(hub, refresh, 20000);
  let lastBalances = null;
  hub.subscribe((msg) => {
    if (msg.type === "walletActivity") {
      poller.pushed();
      refresh().catch(() => {});
    } else if (msg.type === "balances") {
      const now = JSON.stringify(msg.balances || []);
      if (lastBalances !== null && now !== lastBalances) {
        postForm(root.dataset.syncUrl, { trigger: "balance" }).catch(() => {});
      }
      lastBalances = now;
    }
  });
}

// History page: the backfill progress bars follow the sync by polling a small JSON document
// every 3 s (percent, rows, how far back, problems), without reloading the table being read.
"use strict";
(function () {
  const box = document.getElementById("history-progress");
  if (!box) return;
  const fmt = function (iso) { return iso ? iso.slice(0, 16).replace("T", " ") : ""; };
  const update = function (doc) {
    let unknown = false;
    doc.syncs.forEach(function (s) {
      const row = box.querySelector('tr[data-sync="' + s.id + '"]');
      if (!row) { unknown = true; return; }
      row.querySelector("progress").value = s.percent;
      row.querySelector(".pct").textContent = s.done ? "done" : (s.started ? s.percent + "%" : "waiting");
      row.querySelector(".rows").textContent = s.rows;
      row.querySelector(".to").textContent = fmt(s.backfilled_to);
      row.querySelector(".at").textContent = s.synced_at ? s.synced_at.slice(0, 19).replace("T", " ") : "never";
      row.querySelector(".problem").textContent = s.last_error;
    });
    return unknown;
  };
  const poll = function () {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        // A symbol added meanwhile has no row yet: the page shows it after one reload.
        if (doc && update(doc) && !sessionStorage.getItem("history-reloaded")) {
          sessionStorage.setItem("history-reloaded", "1");
          window.location.reload();
          return;
        }
        sessionStorage.removeItem("history-reloaded");
        setTimeout(poll, 3000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  };
  setTimeout(poll, 3000);
})();

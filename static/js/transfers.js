// Transfer pages: the source's known balance next to the amount, the browser's time zone as the
// default for a new schedule, and a run page that follows its run until it is final.
"use strict";
(function () {
  // --- transfer form: show the source's known free balance of the chosen asset -----------------
  const data = document.getElementById("balances-data");
  const from = document.getElementById("id_from_party");
  const asset = document.getElementById("id_asset");
  const note = document.getElementById("source-balance");
  if (data && from && asset && note) {
    const balances = JSON.parse(data.textContent);
    const show = function () {
      const free = (balances[from.value] || {})[asset.value] || "0";  // exact text, no parseFloat
      note.textContent = "Known free balance of the source: " + free + " " + asset.value;
    };
    from.addEventListener("change", show);
    asset.addEventListener("change", show);
    show();
  }

  // --- schedule form: prefill the time zone with the browser's own on a new schedule -------------
  const form = document.getElementById("schedule-form");
  const tz = document.getElementById("id_timezone");
  if (form && tz && form.dataset.new === "1" && !form.querySelector(".field-error")) {
    try {
      const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (mine && Array.from(tz.options).some(function (o) { return o.value === mine; })) {
        tz.value = mine;
      }
    } catch (e) { /* keep the server's default */ }
  }

  // --- forms that ask before doing something that cannot be undone (no inline handlers: CSP) ---
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.dataset.confirm)) event.preventDefault();
    });
  });

  // --- run page: poll the run every 2 s until it is executed, failed or skipped -----------------
  const run = document.getElementById("run");
  if (run && run.dataset.final === "0") {
    const poll = function () {
      fetch(run.dataset.json, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (doc) {
          if (!doc) { setTimeout(poll, 2000); return; }
          const status = document.getElementById("run-status");
          status.textContent = doc.status_label;
          status.dataset.status = doc.status;
          document.getElementById("run-message").textContent =
            (doc.error_code !== null ? doc.error_code + ": " : "") + (doc.error_message || "—");
          document.getElementById("run-txn").textContent = doc.txn_id || "—";
          if (doc.amount !== null) document.getElementById("run-amount").textContent = doc.amount;
          if (doc.final) {
            run.dataset.final = "1";
            document.getElementById("run-checking").hidden = true;
            document.getElementById("retry-form").hidden = doc.status !== "failed";
          } else {
            setTimeout(poll, 2000);
          }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }
})();

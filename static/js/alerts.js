// Credit-line alerts as banners on every page: the server renders the open ones, and a margin
// call or liquidation call raised while a page is open is added from the connection's socket
// (the same hub every other widget of the page shares), without a reload. Dismissing one closes
// it for the owner's other pages too (they drop it on their next load).
import { connectionHub } from "./lib/hub.js";
import { postForm } from "./lib/http.js";

const root = document.getElementById("alert-banners");
if (root) {
  root.addEventListener("submit", dismiss);
  for (const pk of (root.dataset.connections || "").split(",").filter(Boolean)) {
    connectionHub(pk).subscribe((msg) => {
      if (msg.type === "creditLine" && msg.alert) show(msg.alert);
    });
  }
}

function show(alert) {
  if (root.querySelector(`[data-alert="${alert.id}"]`)) return;
  const div = document.createElement("div");
  div.className = `alert-banner alert-${alert.type}`;
  div.dataset.alert = String(alert.id);
  const text = document.createElement("span");
  const link = document.createElement("a");
  link.href = alert.url;
  link.textContent = alert.label;
  text.append(`${alert.typeLabel} on `, link, `: loan-to-value ${alert.ltvText}`);
  const form = document.createElement("form");
  form.method = "post";
  form.action = alert.dismissUrl;
  form.className = "inline";
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "dismiss";
  button.textContent = "Dismiss";
  form.append(button);
  div.append(text, form);
  root.prepend(div);
}

async function dismiss(event) {
  const form = event.target;
  const banner = form.closest(".alert-banner");
  if (!banner) return;
  event.preventDefault();
  try {
    await postForm(form.action, {});
    banner.remove();
  } catch {
    form.submit(); // no script answer: let the browser post it
  }
}

// Same-origin HTTP with JSON answers. Posts carry the CSRF token the page rendered (any form's
// hidden csrfmiddlewaretoken), so scripts need no cookie parsing.

export function csrfToken(scope = document) {
  const input = scope.querySelector("input[name=csrfmiddlewaretoken]") ||
    document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// GET a JSON document; throws on a non-2XX answer.
export async function getJSON(url, { cache } = {}) {
  const res = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    cache: cache || "default",
  });
  if (!res.ok) throw Object.assign(new Error("HTTP " + res.status), { url, status: res.status });
  return res.json();
}

// POST form fields (an object, FormData or URLSearchParams) and read the JSON answer. Network
// failures throw: callers decide what "no answer" means for them (an order may have gone out).
export async function postForm(url, data, { csrf } = {}) {
  const body = data instanceof URLSearchParams ? data : new URLSearchParams(data);
  const res = await fetch(url, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf || csrfToken(), Accept: "application/json" },
  });
  return res.json();
}

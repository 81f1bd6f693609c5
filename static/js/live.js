// A WebSocket to our own server that reconnects with jittered backoff.
// onState receives "open" / "closed" so pages can show "reconnecting" honestly.
"use strict";
window.deskSocket = function (path, { onMessage, onState }) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let delay = 500;
  let stopped = false;
  function connect() {
    const ws = new WebSocket(scheme + location.host + path);
    ws.onopen = () => { delay = 500; onState && onState("open"); };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      onState && onState("closed", ev.code);
      // 44xx: the server refused us (not logged in, not ours): retrying will not help.
      if (stopped || (ev.code >= 4400 && ev.code < 4500)) return;
      setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
  return { stop() { stopped = true; } };
};

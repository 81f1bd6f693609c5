// A WebSocket to our own server that reconnects with jittered backoff. onState receives "open" /
// "closed" (with the close code) so pages can show "reconnecting" honestly. `port`: market data
// may come from the fan-out server on another port of the same host (the session cookie is sent
// there too: cookies are per host, not per port).
export function openSocket(path, { onMessage, onState, port } = {}) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const host = port ? location.hostname + ":" + port : location.host;
  let delay = 500;
  let stopped = false;
  let ws = null;
  function connect() {
    ws = new WebSocket(scheme + host + path);
    ws.onopen = () => { delay = 500; onState && onState("open"); };
    ws.onmessage = (ev) => onMessage && onMessage(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      onState && onState("closed", ev.code);
      // 44xx: the server refused us (not logged in, not ours): retrying will not help.
      if (stopped || (ev.code >= 4400 && ev.code < 4500)) return;
      setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
  return { stop() { stopped = true; if (ws) ws.close(); } };
}

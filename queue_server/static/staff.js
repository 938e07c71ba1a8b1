// Shared by the staff pages (clerk console, evaluator tablet, hall manager): the API with the
// signed-in token (kept for this browser tab only), the event stream, and Chinese messages.
"use strict";

const Staff = (() => {
  const TOKEN = "hallqueue.token";

  // details: what the refusal names besides its message (come_back_time, the ticket's number).
  class ApiError extends Error {
    constructor(status, code, message, details = {}) {
      super(message); this.status = status; this.code = code; this.details = details;
    }
  }

  async function api(method, path, body, token = sessionStorage.getItem(TOKEN)) {
    let resp;
    try {
      resp = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "offline", "无法连接服务器，请检查网络后重试");
    }
    if (resp.status === 204) return null;
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = data.error || {};
      if (resp.status === 401) sessionStorage.removeItem(TOKEN);
      throw new ApiError(resp.status, err.code || "http_error", err.message || `服务器错误（${resp.status}）`,
                         err.details || {});
    }
    return data;
  }

  // The event stream. With a token (the signed-in one, or `token` for a device page) it is the
  // full stream; without, the public one. A browser cannot set headers on a WebSocket, so the
  // token rides as a second subprotocol, "bearer.TOKEN"; the server selects "hallqueue".
  // Signing in or out changes what the stream may carry: it then reconnects from its last seq.
  function follow(onMessage, onLink, token = null) {
    let seq = null;
    let ws = null;
    let using = null;
    const current = () => token || sessionStorage.getItem(TOKEN);
    const open = () => {
      const base = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/events`;
      const url = seq === null ? base : `${base}?since=${seq}`;
      using = current();
      const socket = using ? new WebSocket(url, ["hallqueue", `bearer.${using}`]) : new WebSocket(url);
      ws = socket;
      socket.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        if (msg.seq !== undefined) seq = msg.seq;
        onLink(true);
        onMessage(msg);
      };
      socket.onclose = () => {
        if (socket !== ws) return;  // replaced after a sign-in or sign-out
        onLink(false);
        setTimeout(open, 2000);
      };
    };
    setInterval(() => {
      if (ws && ws.readyState === WebSocket.OPEN && current() !== using) {
        const old = ws;
        open();
        old.close();
      }
    }, 1000);
    open();
  }

  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  const duration = (seconds) => {
    const s = Math.max(0, Math.round(seconds));
    return s >= 3600 ? `${Math.floor(s / 3600)}小时${Math.floor((s % 3600) / 60)}分`
         : s >= 60 ? `${Math.floor(s / 60)}分${s % 60}秒` : `${s}秒`;
  };

  return {
    api, follow, el, duration, ApiError,
    token: () => sessionStorage.getItem(TOKEN),
    signIn: (token) => sessionStorage.setItem(TOKEN, token),
    signOut: () => sessionStorage.removeItem(TOKEN),
  };
})();

// The lobby screen: follows the queue server's event stream (WebSocket push, no polling).
// The first message is a snapshot; every later one is a committed change with its seq. After a
// disconnect the page reconnects with ?since=SEQ and gets what it missed (or a new snapshot).
// While disconnected it says so, and dims what may be stale: it never shows an empty screen.
"use strict";

const CALLS_SHOWN = 8;
const FRESH_MS = 8000;
const params = new URLSearchParams(location.search);
const only = params.get("services") ? new Set(params.get("services").split(",").filter(Boolean)) : null;

const state = { seq: null, services: new Map(), windows: new Map(), calls: [], notices: [], zone: undefined };
window.__painted = {};  // number -> when it was painted (ms since epoch); read by the benchmark

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const shown = (service) => !only || only.has(service);
const minutes = (s) => (s >= 60 ? `约${Math.round(s / 60)}分钟` : "即将叫号");

function applySnapshot(snap) {
  state.seq = snap.seq;
  $("hall").textContent = snap.hall.name;
  state.zone = snap.hall.timezone;  // the hall's clock, whatever the display PC's zone
  tick();
  document.title = `${snap.hall.name} 叫号显示`;
  state.services = new Map(snap.services.map((s) => [s.code, s]));
  state.windows = new Map(snap.windows.map((w) => [w.number, w]));
  state.calls = snap.recent_calls.map((c) => ({ ...c, fresh: false }));
  state.notices = snap.notices;
  renderAll();
}

function applyEvent(e) {
  state.seq = e.seq;
  for (const [code, n] of Object.entries(e.waiting || {})) {
    const s = state.services.get(code);
    if (s) s.waiting = n;
  }
  for (const [code, secs] of Object.entries(e.estimates || {})) {
    const s = state.services.get(code);
    if (s) s.estimated_wait_s = secs;
  }
  const w = e.window != null ? state.windows.get(e.window) : null;
  if (w && e.window_status) w.status = e.window_status;
  // The server says which ticket stands at the window after the change (null: none).
  if (w && "window_ticket" in e) w.ticket = e.window_ticket;
  if ((e.kind === "called" || e.kind === "recalled") && e.ticket) {
    state.calls.unshift({
      number: e.ticket.number, service: e.ticket.service, window: e.window,
      window_name: w ? w.name : null, at: e.at, call_count: e.ticket.call_count, fresh: true,
    });
    state.calls = state.calls.slice(0, 20);
    renderCalls(e.ticket.number);
  }
  if (e.kind === "day_started") state.calls = [];
  if (e.kind === "notices_changed") { state.notices = e.notices; renderNotices(); }
  renderWindows();
  renderQueues();
}

function renderAll() {
  renderCalls();
  renderWindows();
  renderQueues();
  renderNotices();
}

function renderCalls(painted) {
  const list = $("calls");
  list.replaceChildren();
  for (const c of state.calls.filter((c) => shown(c.service)).slice(0, CALLS_SHOWN)) {
    const li = el("li", c.fresh ? "fresh" : "");
    li.append(el("span", null, "请"), el("span", "number", c.number), el("span", null, "号 到"),
              el("span", "window", `${c.window} 号窗口`));
    if (c.window_name) li.append(el("span", "where", c.window_name));
    if (c.call_count > 1) li.append(el("span", "again", "再次呼叫"));
    list.append(li);
    if (c.fresh) setTimeout(() => { c.fresh = false; li.classList.remove("fresh"); }, FRESH_MS);
  }
  if (painted) requestAnimationFrame(() => { window.__painted[painted] = Date.now(); });
}

function renderWindows() {
  const box = $("windows");
  box.replaceChildren();
  for (const w of state.windows.values()) {
    if (only && !w.services.some((s) => only.has(s))) continue;
    const div = el("div", `win ${w.status}`);
    div.dataset.window = w.number;
    const now = w.status === "paused" ? "暂停服务" : w.status === "closed" ? "未开放" : (w.ticket || "—");
    div.append(el("span", "name", `${w.number} ${w.name}`), el("span", "now", now));
    box.append(div);
  }
}

function renderQueues() {
  const box = $("queues");
  box.replaceChildren();
  const services = [...state.services.values()].filter((s) => shown(s.code));
  // A whole hall has dozens of services: a TV shows the ones people wait for, longest first.
  const list = only ? services : services.filter((s) => s.waiting > 0).sort((a, b) => b.waiting - a.waiting);
  for (const s of list.slice(0, 16)) {
    const div = el("div", s.waiting ? "q" : "q none");
    div.dataset.service = s.code;
    div.append(el("span", "name", s.name),
               el("span", "count", s.waiting ? `${s.waiting}人 ${minutes(s.estimated_wait_s)}` : "无人等候"));
    box.append(div);
  }
  if (!list.length) box.append(el("div", "q none", "目前各项业务均无人等候"));
}

function renderNotices() {
  $("notice-text").textContent = state.notices.join("　　　");
}

function setLink(ok) {
  document.body.classList.toggle("lost", !ok);
  const link = $("link");
  link.className = ok ? "link ok" : "link lost";
  link.textContent = ok ? "● 实时" : "连接中断，正在重连…";
}

function tick() {
  const now = new Date();
  const part = (options) => now.toLocaleString("zh-CN", { timeZone: state.zone, ...options });
  $("date").textContent = `${part({ year: "numeric", month: "long", day: "numeric" })} ${part({ weekday: "long" })}`;
  $("time").textContent = part({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function connect() {
  const base = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/events`;
  const ws = new WebSocket(state.seq === null ? base : `${base}?since=${state.seq}`);
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "snapshot") applySnapshot(msg);
    else if (msg.type === "event") applyEvent(msg);
    setLink(true);
  };
  ws.onclose = () => {
    setLink(false);
    setTimeout(connect, 2000);
  };
}

tick();
setInterval(tick, 1000);
setLink(false);
connect();

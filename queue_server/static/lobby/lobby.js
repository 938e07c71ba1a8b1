// The lobby screen: follows the queue server's event stream (WebSocket push, no polling).
// The first message is a snapshot; every later one is a committed change with its seq. After a
// disconnect the page reconnects with ?since=SEQ and gets what it missed (or a new snapshot).
// While disconnected it says so, and dims what may be stale: it never shows an empty screen.
//
// Every window and every waiting service is shown. What does not fit on the screen is paged
// (a page every ?page_seconds=, default 8, with "1/3" beside the panel's title): the page sizes
// come from measuring the laid-out tiles, again whenever the content, the fonts or the screen
// size change, so a 4K screen shows more per page and no tile is ever cut.
//
// Per-screen filters: ?services=code,code and ?windows=31-35 (ranges and lists: 1-3,31).
"use strict";

const CALLS_KEPT = 20;
const FRESH_MS = 8000;
const NAME_MIN = 0.6;  // a long name shrinks down to this share of the tile's text size, then wraps
const params = new URLSearchParams(location.search);
const onlyServices = params.get("services") ? new Set(params.get("services").split(",").filter(Boolean)) : null;
const onlyWindows = windowList(params.get("windows"));
const PAGE_MS = Math.max(0.5, Number(params.get("page_seconds")) || 8) * 1000;

const state = {
  seq: null, services: new Map(), windows: new Map(), calls: [], notices: [], waitNotices: [], zone: undefined,
};
window.__painted = {};  // number -> when it was painted (ms since epoch); read by the benchmark
let fontsLoaded = false;

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const minutes = (s) => (s >= 60 ? `约${Math.round(s / 60)}分钟` : "即将叫号");

/** "1-3,31" -> Set {1, 2, 3, 31}; null when absent or when nothing in it is a number. */
function windowList(text) {
  if (!text) return null;
  const out = new Set();
  for (const part of text.split(",")) {
    const m = part.trim().match(/^(\d+)(?:\s*-\s*(\d+))?$/);
    if (!m) continue;
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    for (let n = Math.min(a, b); n <= Math.max(a, b) && n - Math.min(a, b) < 1000; n++) out.add(n);
  }
  return out.size ? out : null;
}

const windowShown = (w) =>
  (!onlyWindows || onlyWindows.has(w.number)) && (!onlyServices || w.services.some((s) => onlyServices.has(s)));
// With ?windows=, the services those windows serve; recomputed with each snapshot.
let servedHere = null;
const serviceShown = (code) => (!onlyServices || onlyServices.has(code)) && (!servedHere || servedHere.has(code));
const callShown = (c) => serviceShown(c.service) && (!onlyWindows || onlyWindows.has(c.window));

function applySnapshot(snap) {
  state.seq = snap.seq;
  $("hall").textContent = snap.hall.name;
  state.zone = snap.hall.timezone;  // the hall's clock, whatever the display PC's zone
  tick();
  document.title = `${snap.hall.name} 叫号显示`;
  state.services = new Map(snap.services.map((s) => [s.code, s]));
  state.windows = new Map(snap.windows.map((w) => [w.number, w]));
  servedHere = onlyWindows ? new Set(snap.windows.filter((w) => onlyWindows.has(w.number)).flatMap((w) => w.services)) : null;
  // Newest first; a recalled ticket appears once, where it was last called.
  const seen = new Set();
  state.calls = snap.recent_calls
    .filter((c) => !seen.has(c.number) && seen.add(c.number))
    .map((c) => ({ ...c, fresh: false }));
  state.notices = snap.notices;
  state.waitNotices = snap.wait_notices || [];
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
    // A recall (重呼) moves the ticket's line to the top instead of adding a second one.
    state.calls = state.calls.filter((c) => c.number !== e.ticket.number);
    state.calls.unshift({
      number: e.ticket.number, service: e.ticket.service, window: e.window,
      window_name: w ? w.name : null, at: e.at, call_count: e.ticket.call_count, fresh: true,
    });
    state.calls = state.calls.slice(0, CALLS_KEPT);
    renderCalls(e.ticket.number);
  }
  if (e.kind === "day_started") { state.calls = []; renderCalls(); }
  if (e.kind === "notices_changed") { state.notices = e.notices; renderNotices(); }
  // 等候时间较长: services past their wait target, ahead of the hall's own notices.
  if (e.kind === "wait_notices_changed") { state.waitNotices = e.wait_notices || []; renderNotices(); }
  // 潮汐窗口: a window serves other services now (a zone screen's filter follows).
  if (e.kind === "window_services_changed" && w) w.services = e.services;
  scheduleBoards();
}

function renderAll() {
  renderCalls();
  renderBoards();
  renderNotices();
}

// ---- Fitting text and paging ---------------------------------------------------------------

/** Shrink each element whose text is wider than its box (down to ``min`` times its CSS size),
 * then let what still does not fit wrap. Reads and writes are batched: one layout per round. */
function fitText(elements, min = NAME_MIN) {
  for (const e of elements) { e.style.fontSize = ""; e.classList.remove("wrap"); }
  const base = new Map();
  let todo = elements;
  for (let round = 0; todo.length; round++) {
    const over = todo.filter((e) => e.scrollWidth > e.clientWidth);
    const sizes = over.map((e) => [e, parseFloat(getComputedStyle(e).fontSize), e.clientWidth / e.scrollWidth]);
    todo = [];
    for (const [e, size, ratio] of sizes) {
      if (!base.has(e)) base.set(e, size);
      const floor = base.get(e) * min;
      if (round >= 4 || size <= floor + 0.01) { e.classList.add("wrap"); continue; }
      e.style.fontSize = `${Math.max(floor, Math.floor(size * ratio * 4) / 4)}px`;
      todo.push(e);
    }
  }
}

/** One paged board: its tiles are the box's children; a page is a run of whole tiles. */
class Pager {
  constructor(box, indicator, fit) {
    this.box = box;
    this.indicator = indicator;
    this.fit = fit;
    this.pages = [];
    this.index = 0;
    this.used = 0;  // the height the tallest page takes
  }

  /** Fit the tiles' text, then cut them into pages of what really fits, keeping the page shown.
   * One measurement of all the tiles laid out in a row: a page starts at the beginning of a grid
   * row (the tiles of a row share their bottom), and shown alone it moves up by that row's top. */
  layout() {
    const items = [...this.box.children];
    for (const it of items) it.classList.remove("off");
    this.fit(this.box);
    const top = this.box.getBoundingClientRect().top;
    const room = this.box.clientHeight + 0.5;
    const rects = items.map((it) => it.getBoundingClientRect());
    let pages = this.split(rects, top, room, Infinity);
    if (pages.length > 1) {
      // As many pages, evened out by whole rows: 15+15+7 rather than 18+18+1.
      const columns = getComputedStyle(this.box).gridTemplateColumns.split(" ").length || 1;
      const per = Math.ceil(Math.ceil(items.length / pages.length) / columns) * columns;
      pages = this.split(rects, top, room, per);
    }
    this.pages = pages.map(([a, b]) => items.slice(a, b));
    this.index = Math.min(this.index, Math.max(0, pages.length - 1));
    this.show();
  }

  /** [start, end) of each page of at most ``most`` tiles whose bottoms fit in ``room``. */
  split(rects, top, room, most) {
    const pages = [];
    this.used = 0;
    for (let start = 0; start < rects.length; ) {
      const shift = rects[start].top - rects[0].top;
      const bottom = (i) => rects[i].bottom - shift - top;
      let end = start + 1;  // a page holds one tile at least, even on an absurdly small screen
      while (end < rects.length && end - start < most && bottom(end) <= room) end++;
      this.used = Math.max(this.used, bottom(end - 1));
      pages.push([start, end]);
      start = end;
    }
    return pages;
  }

  show() {
    const page = new Set(this.pages[this.index] || []);
    for (const it of this.box.children) it.classList.toggle("off", !page.has(it));
    const n = this.pages.length;
    this.indicator.textContent = n > 1 ? `${this.index + 1}/${n}` : "";
    this.box.dataset.page = String(this.index + 1);
    this.box.dataset.pages = String(n);
  }

  next() {
    if (this.pages.length < 2) return;
    this.index = (this.index + 1) % this.pages.length;
    this.show();
  }
}

const fitNames = (box) => fitText([...box.querySelectorAll(".name")]);
const pagers = {
  windows: new Pager($("windows"), $("windows-pager"), fitNames),
  queues: new Pager($("queues"), $("queues-pager"), fitNames),
};

// ---- Rendering -----------------------------------------------------------------------------

let freshTimer = null;

function renderCalls(painted) {
  const calls = state.calls.filter(callShown);
  renderCurrent(calls[0]);
  const list = $("calls");
  list.replaceChildren();
  for (const c of calls) {
    const li = el("li");
    li.dataset.number = c.number;
    li.append(el("span", "number", c.number), el("span", "window", `${c.window} 号窗口`));
    if (c.call_count > 1) li.append(el("span", "note again", "再次呼叫"));
    else li.append(el("span", "note", c.window_name || ""));
    list.append(li);
  }
  fitCalls();
  if (calls.some((c) => c.fresh)) {
    clearTimeout(freshTimer);
    freshTimer = setTimeout(() => {
      for (const c of state.calls) c.fresh = false;
      $("current").classList.remove("fresh");
    }, FRESH_MS);
  }
  if (painted) requestAnimationFrame(() => { window.__painted[painted] = Date.now(); });
}

/** The latest call in the fixed box; a new call rings the box's border (not its colours). */
function renderCurrent(c) {
  const box = $("current");
  box.classList.toggle("empty", !c);
  box.classList.toggle("recall", !!c && c.call_count > 1);
  $("current-number").textContent = c ? c.number : "—";
  $("current-window").textContent = c ? c.window : "";
  $("current-name").textContent = c ? c.window_name || "" : "";
  box.classList.remove("fresh");
  if (c && c.fresh) {
    void box.offsetWidth;  // restart the animation for a call that follows another
    box.classList.add("fresh");
  }
  fitCurrent();
}

function fitCurrent() {
  fitText([...$("current").querySelectorAll(".number, .where, .win-name")], 0.3);
}

/** Whole call lines only: a window name that does not fit is left out, then the note shrinks,
 * and lines below the panel's bottom are not shown. */
function fitCalls() {
  const list = $("calls");
  const lines = [...list.children];
  for (const li of lines) li.classList.remove("off");
  for (const note of list.querySelectorAll(".note")) note.classList.remove("off");
  const names = [...list.querySelectorAll(".note:not(.again)")].filter((n) => n.scrollWidth > n.clientWidth);
  for (const n of names) n.classList.add("off");
  fitText([...list.querySelectorAll(".note.again")], 0.5);
  const limit = list.getBoundingClientRect().top + list.clientHeight + 0.5;
  const bottoms = lines.map((li) => li.getBoundingClientRect().bottom);
  lines.forEach((li, i) => li.classList.toggle("off", bottoms[i] > limit));
}

let boardsQueued = false;
/** Windows and queues change with nearly every event: redraw them once per frame, after the
 * call itself is painted. */
function scheduleBoards() {
  if (boardsQueued) return;
  boardsQueued = true;
  requestAnimationFrame(() => { boardsQueued = false; renderBoards(); });
}

function renderBoards() {
  renderWindows();
  renderQueues();
  layoutBoards();
}

/** Page the windows in the room the layout gives them, keep only the rows their pages use, and
 * page the waiting list in what is left. */
function layoutBoards() {
  const panel = $("windows-panel");
  panel.classList.remove("snug");
  $("windows").style.height = "";
  pagers.windows.layout();
  $("windows").style.height = `${Math.ceil(pagers.windows.used)}px`;
  panel.classList.add("snug");
  pagers.queues.layout();
  // For tests: the boards were measured at this size in the hall's font.
  document.body.dataset.laidOut = fontsLoaded ? `${innerWidth}x${innerHeight}` : "";
}

function renderWindows() {
  const box = $("windows");
  box.replaceChildren();
  for (const w of state.windows.values()) {
    if (!windowShown(w)) continue;
    const status = w.status === "open" && !w.ticket ? "idle" : w.status;
    const div = el("div", `win ${status}`);
    div.dataset.window = w.number;
    const now = { paused: "暂停服务", closed: "未开放", idle: "空闲" }[status] || w.ticket;
    div.append(el("span", "no", w.number), el("span", "name", w.name), el("span", "now", now));
    box.append(div);
  }
}

function renderQueues() {
  const box = $("queues");
  box.replaceChildren();
  const filtered = !!(onlyServices || onlyWindows);
  // A whole hall has dozens of services: without a filter the screen lists those with people
  // waiting, in the config's order, so a service keeps its place from page to page.
  const list = [...state.services.values()].filter((s) => serviceShown(s.code) && (filtered || s.waiting > 0));
  for (const s of list) {
    const div = el("div", s.waiting ? "q" : "q none");
    div.dataset.service = s.code;
    div.append(el("span", "name", s.short_name || s.name));
    if (s.waiting) div.append(el("span", "count", `${s.waiting}人`), el("span", "eta", minutes(s.estimated_wait_s)));
    else div.append(el("span", "count", "无人等候"));
    box.append(div);
  }
  if (!list.length) box.append(el("div", "q all-clear", "目前各项业务均无人等候"));
}

function renderNotices() {
  $("notice-text").textContent = [...state.waitNotices, ...state.notices].join("　　　");
  measureNotices();
}

/** The ticker moves at the same speed (10 units a second) however long the notices are. */
function measureNotices() {
  const text = $("notice-text");
  const range = document.createRange();
  range.selectNodeContents(text);
  const width = range.getBoundingClientRect().width;
  const unit = parseFloat(getComputedStyle(text).fontSize) / 3.4 || 1;  // the notices are 3.4 units high
  text.style.setProperty("--ticker-w", `${width}px`);
  text.style.setProperty("--ticker-s", `${((text.clientWidth + width) / (unit * 10)).toFixed(1)}s`);
}

/** After a resize or once the fonts have loaded, every measurement is redone. */
function relayout() {
  measureNotices();
  fitCurrent();
  fitCalls();
  layoutBoards();
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
    if (msg.type === "event" && msg.kind === "config_reloaded") {
      // The hall config was reloaded: services and windows may differ. A new connection without
      // ?since= starts with a fresh snapshot, which has every change up to it.
      ws.onclose = null;
      ws.close();
      state.seq = null;
      connect();
      return;
    }
    if (msg.type === "snapshot") applySnapshot(msg);
    else if (msg.type === "event") applyEvent(msg);
    setLink(true);
  };
  ws.onclose = () => {
    setLink(false);
    setTimeout(connect, 2000);
  };
}

let relayoutQueued = false;
function scheduleRelayout() {
  if (relayoutQueued) return;
  relayoutQueued = true;
  requestAnimationFrame(() => { relayoutQueued = false; relayout(); });
}

tick();
setInterval(tick, 1000);
setInterval(() => { pagers.windows.next(); pagers.queues.next(); }, PAGE_MS);
window.addEventListener("resize", scheduleRelayout);
// Text is measured in the hall's font: measure again once it has loaded.
Promise.all([document.fonts.load("bold 16px HallSans"), document.fonts.load("16px HallSans")])
  .catch(() => null)
  .then(() => { fontsLoaded = true; scheduleRelayout(); });
document.fonts.addEventListener("loadingdone", scheduleRelayout);
setLink(false);
connect();

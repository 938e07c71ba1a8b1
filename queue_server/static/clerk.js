// The clerk console (窗口叫号): every action a hall's hardware caller has, as buttons and keys.
// Refusals from the server are shown in its own Chinese words, never swallowed.
"use strict";

const $ = (id) => document.getElementById(id);
const session = {
  window: null, login: null, name: null, role: null,
  ticket: null, status: null, since: null, services: [], allServices: [],
  recallMinutes: null,  // the hall's 过号 call-back limit, when the server tells it
};
// Who sees what: window staff the window's console, the 咨询台 (reception) its ticket form, an
// admin both. The server enforces the same roles; this only keeps refused buttons off the screen.
const RECEPTION_ROLES = ["reception", "admin"];
const UNDO_SECONDS = 5;
const NO_SHOWS = "hallqueue.noshows";
// Times are shown in the hall's time zone and measured on the server's clock: a clerk PC whose
// clock is a few minutes off must not show a ticket called "-2分" ago.
const hall = { timezone: undefined, skew: 0 };
// A 过号 counting down (see startNoShow): { ticket, deadline (ms, this PC's clock) }.
let pending = null;

// ------------------------------------------------------------------ time

const serverNow = () => Date.now() + hall.skew;

// "35秒", "1分05秒", "1小时02分": the seconds padded so the line does not jitter as it counts.
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 60) return `${s}秒`;
  if (s < 3600) return `${Math.floor(s / 60)}分${pad(s % 60)}秒`;
  return `${Math.floor(s / 3600)}小时${pad(Math.floor((s % 3600) / 60))}分`;
}

function hhmm(iso) {
  try {
    return new Intl.DateTimeFormat("zh-CN", { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                              timeZone: hall.timezone }).format(new Date(iso));
  } catch (e) {  // an unknown time zone name: the PC's own clock is the hall's
    return new Date(iso).toTimeString().slice(0, 5);
  }
}

// ------------------------------------------------------------------ the message line

// The message line has a fixed height (clerk.css): a message appearing never moves the buttons.
// It may carry one of two buttons: 撤销 while a 过号 counts down, 重新叫回 after one.
let recallBack = null;  // { number, until (ms on the server clock, or null when the limit is unknown) }

function show(text, kind = "error", { undo = false, callBack = null } = {}) {
  $("message").className = `message ${kind}`;
  $("message-text").textContent = text;
  $("undo").classList.toggle("hidden", !undo);
  recallBack = callBack;
  $("recall-back").classList.toggle("hidden", !callBack);
}

function clearMessage() {
  show("", "empty");
}

async function run(action) {
  try {
    await action();
  } catch (e) {
    if (e.status === 401) { signOut(e.message); return; }
    show(e.message);
  }
}

// One action at a time, in the order asked: a 过号 being sent lands before the next action
// starts. An action waiting its turn runs only if it still makes sense then (`allowed`): a double
// press of N calls one number, not one and then a "尚未办结" refusal. (The event stream may show
// the new state before the action's own answer arrives, so a key pressed on seeing it must wait,
// not be dropped.)
let queue = Promise.resolve();
let busy = false;
function guarded(action, allowed = () => true) {
  queue = queue.then(async () => {
    if (!allowed()) return;
    busy = true;
    try {
      await run(action);
    } finally {
      busy = false;
    }
  });
  return queue;
}
const enabled = (id) => () => !$(id).disabled;

// ------------------------------------------------------------------ signing in and out

function signOut(reason) {
  pending = null;
  Staff.signOut();
  for (const key of ["hallqueue.window", "hallqueue.role", "hallqueue.login", "hallqueue.name"]) {
    sessionStorage.removeItem(key);
  }
  session.window = null;
  closeForms();
  $("console").classList.add("hidden");
  $("signout").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("who").textContent = "";
  $("title").textContent = "窗口叫号";
  if (reason) { $("login-error").textContent = reason; $("login-error").classList.remove("hidden"); }
}

async function loadWindows() {
  const state = await Staff.api("GET", "/api/state", undefined, null);
  hall.timezone = state.hall.timezone || undefined;
  hall.skew = Date.parse(state.at) - Date.now();
  $("login-window").replaceChildren(Staff.el("option", { value: "" }, "咨询台（不在窗口）"),
    ...state.windows.map((w) => Staff.el("option", { value: w.number }, `${w.number} 号 ${w.name}`)));
  if (state.windows.length) $("login-window").value = String(state.windows[0].number);
  document.title = `窗口叫号 · ${state.hall.name}`;
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const chosen = $("login-window").value;
  const body = { login: $("login-name").value.trim(), password: $("login-password").value,
                 ...(chosen ? { window: Number(chosen) } : {}) };
  try {
    let result;
    try {
      result = await Staff.api("POST", "/api/login", body, null);
    } catch (e) {
      if (e.code !== "window_occupied" || !confirm(`${e.message}\n确定接管该窗口吗？`)) throw e;
      result = await Staff.api("POST", "/api/login", { ...body, force: true }, null);
    }
    Staff.signIn(result.token);
    sessionStorage.setItem("hallqueue.window", String(result.window ?? ""));
    sessionStorage.setItem("hallqueue.login", result.login);
    sessionStorage.setItem("hallqueue.name", result.name || result.login);
    sessionStorage.setItem("hallqueue.role", result.role);
    $("login-password").value = "";
    start(result.window, result.login, result.role, result.name);
  } catch (e) {
    $("login-error").textContent = e.message;
    $("login-error").classList.remove("hidden");
  }
});

function showWho(name, staffNo) {
  $("who").textContent = `${name || session.login}${staffNo ? ` · 工号 ${staffNo}` : ""}`;
}

async function start(window, login, role, name) {
  session.window = window || null;
  session.login = login;
  session.name = name || login;
  session.role = role;
  const desk = RECEPTION_ROLES.includes(role);
  $("login").classList.add("hidden");
  $("login-error").classList.add("hidden");
  $("console").classList.remove("hidden");
  $("signout").classList.remove("hidden");
  $("window-console").classList.toggle("hidden", !session.window);
  $("reception").classList.toggle("hidden", !desk);
  $("booking-desk").classList.toggle("hidden", !desk);
  $("title").textContent = session.window ? `${session.window} 号窗口` : "咨询台";
  showWho(session.name, null);
  clearMessage();
  if (session.window) await run(refresh);
  if (desk) { await run(loadReceptionServices); await run(refreshPrinter); }
}

// ------------------------------------------------------------------ the window's state

// Refreshes overlap (an action's own, and those the event stream sets off); answers may come back
// out of order. Only an answer to a later request than the one shown is used, so the console
// never steps back to an older state (which would, say, drop a 过号 counting down).
let refreshes = 0;
let shownRefresh = 0;

async function refresh() {
  if (!session.window) return;
  const mine = ++refreshes;
  const q = await Staff.api("GET", `/api/windows/${session.window}/queue`);
  if (mine < shownRefresh || !session.window) return;
  shownRefresh = mine;
  session.ticket = q.ticket;
  session.ageBand = q.age_band;  // 身份证取号: the band only (60-69岁), never the number
  session.status = q.status;
  session.since = q.since;
  session.services = q.services.map((s) => s.code);
  session.allServices = q.all_services;
  if (typeof q.no_show_recall_minutes === "number") session.recallMinutes = q.no_show_recall_minutes;
  // The 过号 counting down is for the ticket in hand; if someone else (the hall manager) ended
  // or moved it meanwhile, there is nothing left to send.
  if (pending && q.ticket?.id !== pending.ticket.id) {
    show(`${pending.ticket.number} 号已不在本窗口，未记过号`, "info");
    pending = null;
  }
  $("title").textContent = `${q.window} 号窗口 · ${q.name}`;
  if (q.clerk_name) showWho(q.clerk_name, q.staff_no);
  $("queue-rows").replaceChildren(...q.services.map((s) => Staff.el("tr", {},
    Staff.el("td", {}, s.name), Staff.el("td", {}, `${s.waiting} 人`), Staff.el("td", {}, s.next.join("、") || "—"))));
  $("act-pause").firstChild.textContent = q.status === "paused" ? "恢复" : "暂停";
  render();
}

function render() {
  const paused = session.status === "paused";
  $("state-bar").classList.toggle("paused", paused);
  $("paused").classList.toggle("hidden", !paused);
  $("paused").textContent = paused ? `暂停中 · 自 ${session.since ? hhmm(session.since) : "刚才"} 起，按 P 恢复` : "";

  const t = session.ticket;
  $("ticket").classList.toggle("hidden", !t);
  $("ticket").classList.toggle("leaving", !!pending);
  $("ticket-none").classList.toggle("hidden", !!t);
  $("ticket-none").textContent = paused ? "本窗口暂停服务，不叫新号" : "暂无办理中的号，按 N 叫号";

  // While a 过号 counts down the ticket is on its way out: the buttons already fit what comes
  // after it (叫号 ready), and pressing one sends the 过号 first.
  const held = pending ? null : t;
  $("act-call").disabled = !!held || paused;
  $("act-call-number").disabled = !!held || paused;
  for (const id of ["act-recall", "act-no-show", "act-start"]) $(id).disabled = !held || held.status !== "called";
  $("act-finish").disabled = !held;
  $("act-transfer").disabled = !held;
  if (!held && !$("transfer").classList.contains("hidden")) closeForms();
  if (!t) return;
  $("ticket-number").textContent = t.number;
  $("ticket-status").className = `badge ${pending ? "leaving" : t.status}`;
  $("ticket-status").textContent = pending ? "将记为过号"
    : t.status === "called" && t.call_count > 1 ? `${t.status_label}（第 ${t.call_count} 次）` : t.status_label;
  // A visit's number may carry several services, all served in this sitting.
  $("ticket-service").textContent = (t.services || []).length > 1
    ? `${t.services.map((s) => s.name).join(" + ")}（一次办理 ${t.services.length} 项）` : t.service_name;
  $("ticket-priority").textContent = t.priority === "normal" ? "" : `【${t.priority_label}】请核验证件`;
  $("ticket-age").textContent = session.ageBand ? `实名取号 · ${session.ageBand}` : "";
  tickTimes();
}

function tickTimes() {
  const t = session.ticket;
  if (!t) return;
  const now = serverNow();
  const called = Date.parse(t.called_at);
  $("ticket-timer").textContent = t.started_at
    ? `办理 ${clock((now - Date.parse(t.started_at)) / 1000)}`
    : `已叫号 ${clock((now - called) / 1000)}`;
  $("ticket-waited").textContent = ` · 取号后等候 ${clock((called - Date.parse(t.issued_at)) / 1000)}`;
}

// ------------------------------------------------------------------ 过号 with undo

// 过号 is sent only after UNDO_SECONDS: a slip of the X key costs a visitor their turn, so the
// clerk gets a few seconds to take it back (撤销, Z or Esc). Any other action sends it first.
function startNoShow() {
  if (!session.ticket || pending) return;
  closeForms();
  pending = { ticket: session.ticket, deadline: Date.now() + UNDO_SECONDS * 1000 };
  showCountdown();
  render();
}

function showCountdown() {
  const left = Math.max(1, Math.ceil((pending.deadline - Date.now()) / 1000));
  show(`${pending.ticket.number} 号将记为过号（${left} 秒）`, "warn", { undo: true });
}

function undoNoShow() {
  if (!pending) return;
  const number = pending.ticket.number;
  pending = null;
  show(`已撤销过号，${number} 号仍在本窗口`, "ok");
  render();
}

// Sends the 过号 counting down, if any; returns what to tell the clerk ("" when none was).
async function sendNoShow() {
  if (!pending) return "";
  const { ticket } = pending;
  pending = null;  // before the request: nothing else may send it again
  render();
  let t;
  try {
    t = await Staff.api("POST", `/api/tickets/${ticket.id}/no-show`);
  } catch (e) {
    await refresh().catch(() => {});
    throw e;
  }
  await refresh();
  return noShowDone(t);
}

function noShowDone(t) {
  if (t.status === "waiting") {  // the hall's rules send a first 过号 back to the queue
    show(`${t.number} 号过号，已排回队尾等候`, "ok");
    return `${t.number} 号过号，已排回队尾`;
  }
  rememberNoShow(t);
  const m = session.recallMinutes;
  const finished = Date.parse(t.finished_at || new Date(serverNow()).toISOString());
  if (m === 0) {
    show(`${t.number} 号已过号。本大厅过号后不再叫回，办事人需重新取号`, "ok");
  } else if (m) {
    show(`${t.number} 号已过号。办事人 ${m} 分钟内回来，可用指定叫号叫回`, "ok",
         { callBack: { number: t.number, until: finished + m * 60000 } });
  } else {
    show(`${t.number} 号已过号。办事人在大厅规定的时限内回来，可用指定叫号叫回`, "ok",
         { callBack: { number: t.number, until: null } });
  }
  return `${t.number} 号已过号`;
}

// This window's 过号 numbers today, offered in the 指定叫号 form for a visitor who comes back
// after the message about them is gone.
function recentNoShows() {
  let list = [];
  try { list = JSON.parse(sessionStorage.getItem(NO_SHOWS) || "[]"); } catch (e) { list = []; }
  const m = session.recallMinutes;
  const today = dayOf(serverNow());
  return list.filter((x) => x.window === session.window && dayOf(Date.parse(x.at)) === today
    && (m === null || Date.parse(x.at) + m * 60000 > serverNow()));
}

function dayOf(ms) {
  try {
    return new Intl.DateTimeFormat("zh-CN", { timeZone: hall.timezone }).format(new Date(ms));
  } catch (e) {
    return new Date(ms).toDateString();
  }
}

function rememberNoShow(t) {
  const list = recentNoShows().filter((x) => x.number !== t.number);
  list.unshift({ number: t.number, at: t.finished_at || new Date(serverNow()).toISOString(), window: session.window });
  sessionStorage.setItem(NO_SHOWS, JSON.stringify(list.slice(0, 6)));
}

function forgetNoShow(number) {
  sessionStorage.setItem(NO_SHOWS, JSON.stringify(recentNoShows().filter((x) => x.number !== number)));
}

// Leaving the page (closing the tab, signing out of Windows) still records the 过号: a keepalive
// request outlives the page.
window.addEventListener("pagehide", () => {
  if (!pending || !Staff.token()) return;
  const { ticket } = pending;
  pending = null;
  fetch(`/api/tickets/${ticket.id}/no-show`, {
    method: "POST", keepalive: true, headers: { Authorization: `Bearer ${Staff.token()}` },
  }).catch(() => {});
});

setInterval(() => {
  if (pending && Date.now() >= pending.deadline) {
    // Sent in its turn; while another action runs, that action sends it itself.
    if (!busy) guarded(sendNoShow, () => !!pending);
  } else if (pending) {
    showCountdown();
  }
  if (recallBack && recallBack.until !== null && serverNow() > recallBack.until) {
    recallBack = null;
    $("recall-back").classList.add("hidden");
  }
  tickTimes();
}, 250);

// ------------------------------------------------------------------ the actions

const ticketAction = (action, body, allowed = () => !!session.ticket && !pending) => guarded(async () => {
  const t = await Staff.api("POST", `/api/tickets/${session.ticket.id}/${action}`, body);
  const said = { recall: `已重呼 ${t.number} 号（第 ${t.call_count} 次）`, start: `${t.number} 号开始办理`,
                 finish: `${t.number} 号已办结`, transfer: `${t.number} 号已转至 ${t.service_name}` }[action];
  // Refresh first: when the message shows, the buttons already fit the new state (a key pressed
  // on seeing "已办结" then calls the next number instead of meeting a still-disabled 叫号).
  await refresh();
  show(said, "ok");
}, allowed);

const joined = (first, next) => (first ? `${first}；${next}` : next);

async function callNumber(number) {
  const t = await Staff.api("POST", `/api/windows/${session.window}/call`, { number });
  forgetNoShow(t.number);
  await refresh();
  return `已叫 ${t.number} 号`;
}

const actions = {
  "act-call": () => guarded(async () => {
    const before = await sendNoShow();
    const t = await Staff.api("POST", `/api/windows/${session.window}/call-next`);
    await refresh();
    if (t) show(joined(before, `已叫 ${t.number} 号`), "ok");
    else show(joined(before, "本窗口的业务暂时没有等候的号"), "info");
  }, enabled("act-call")),
  "act-recall": () => ticketAction("recall", undefined, enabled("act-recall")),
  "act-no-show": startNoShow,
  "act-start": () => ticketAction("start", undefined, enabled("act-start")),
  "act-finish": () => ticketAction("finish", undefined, enabled("act-finish")),
  "act-transfer": openTransfer,
  "act-call-number": () => guarded(async () => {
    await sendNoShow();
    openCallNumber("");
  }, enabled("act-call-number")),
  "act-pause": () => {
    // What the clerk saw when pressing: a second press queued behind the first must not undo it.
    const change = session.status === "paused" ? "resume" : "pause";
    return guarded(async () => {
      const before = await sendNoShow();
      await Staff.api("POST", `/api/windows/${session.window}/${change}`);
      await refresh();
      show(joined(before, change === "pause" ? "本窗口已暂停服务" : "本窗口已恢复服务"), "ok");
    }, () => !!session.window && (session.status === "paused") === (change === "resume"));
  },
  "act-rate": () => guarded(async () => {
    const before = await sendNoShow();
    await Staff.api("POST", `/api/windows/${session.window}/request-rating`);
    show(joined(before, "已请办事人在评价器上评价"), "ok");
  }, () => !!session.window),
};
for (const [id, act] of Object.entries(actions)) $(id).addEventListener("click", () => act());

$("undo").addEventListener("click", undoNoShow);
$("recall-back").addEventListener("click", () => {
  if (recallBack) openCallNumber(recallBack.number);
});
$("signout").addEventListener("click", () => guarded(async () => {
  await sendNoShow();
  await Staff.api("POST", "/api/logout");
  signOut();
}, () => !!Staff.token()));

// ------------------------------------------------------------------ the forms below the buttons

const FORMS = ["transfer", "call-number"];

function formOpen() {
  return FORMS.some((id) => !$(id).classList.contains("hidden"));
}

function closeForms() {
  for (const id of FORMS) {
    const form = $(id);
    // A hidden input keeping the focus would swallow the shortcut keys.
    if (form.contains(document.activeElement)) document.activeElement.blur();
    form.classList.add("hidden");
  }
}

function openForm(id) {
  closeForms();
  $(id).classList.remove("hidden");
  if (id === "transfer") fitTransferList();
  // Only when the screen is too short for the form even so: scrolling moves the buttons.
  if ($(id).getBoundingClientRect().bottom > window.innerHeight) $(id).scrollIntoView({ block: "nearest" });
}

// The transfer list takes the room left on this screen, no more: the page must not scroll (which
// would move the buttons) just because the list opened.
function fitTransferList() {
  const list = $("transfer-list");
  const below = $("transfer-hint").getBoundingClientRect().height + 40;  // the hint, the card's padding
  const room = window.innerHeight - list.getBoundingClientRect().top - below;
  list.style.maxHeight = `${Math.max(120, Math.floor(room))}px`;
}
window.addEventListener("resize", () => { if (!$("transfer").classList.contains("hidden")) fitTransferList(); });

for (const b of document.querySelectorAll("form.panel .cancel")) b.addEventListener("click", closeForms);

// 指定叫号: empty each time it opens (last visitor's number must not be called by a stray Enter),
// unless 重新叫回 fills in the 过号 number it is for.
function openCallNumber(number) {
  $("call-number-value").value = number;
  const recent = recentNoShows();
  $("recent-no-shows").replaceChildren(...(recent.length ? [
    Staff.el("span", {}, "本窗口今天过号："),
    ...recent.map((x) => Staff.el("button", {
      type: "button", class: "chip", "data-number": x.number,
      onclick: () => { $("call-number-value").value = x.number; $("call-number-value").focus(); },
    }, `${x.number}（${hhmm(x.at)}）`)),
  ] : [Staff.el("span", {}, "叫等候中的号，或叫回刚过号又回来的办事人")]));
  openForm("call-number");
  $("call-number-value").focus();
}

$("call-number").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const number = $("call-number-value").value.trim().toUpperCase();
  closeForms();
  guarded(async () => show(await callNumber(number), "ok"));
});

// 转移: a searchable list grouped by department. Typing narrows it by name, department or pinyin
// initials (水 or sf: 水费缴纳); ↑↓ and Enter choose, Enter alone takes a single match.
let transferShown = [];
let transferActive = -1;

function openTransfer() {
  if (!session.ticket || pending) return;
  $("transfer-search").value = "";
  $("transfer-title").textContent = `把 ${session.ticket.number} 号（${session.ticket.service_name}）转移到`;
  openForm("transfer");
  renderTransferList();
  $("transfer-search").focus();
}

function matchesService(s, q) {
  if (!q) return true;
  const initials = (s.initials || "").toLowerCase();
  return s.name.includes(q) || s.department_name.includes(q)
    || initials.startsWith(q) || (q.length > 1 && /^[a-z]+$/.test(q) && initials.includes(q));
}

function renderTransferList() {
  const q = $("transfer-search").value.trim().toLowerCase();
  const current = session.ticket?.service;
  const groups = new Map();
  for (const s of session.allServices) {
    if (s.code === current || !matchesService(s, q)) continue;
    if (!groups.has(s.department)) groups.set(s.department, { name: s.department_name, services: [] });
    groups.get(s.department).services.push(s);
  }
  transferShown = [...groups.values()].flatMap((g) => g.services);
  transferActive = transferShown.length === 1 ? 0 : -1;
  const list = $("transfer-list");
  if (!transferShown.length) {
    list.replaceChildren(Staff.el("div", { class: "none" }, `没有找到与“${$("transfer-search").value.trim()}”相关的业务`));
    return;
  }
  let i = 0;
  list.replaceChildren(...[...groups.entries()].map(([code, g]) => Staff.el("div",
    { class: "group", role: "group", "aria-labelledby": `dept-${code}` },
    Staff.el("div", { class: "group-name", id: `dept-${code}` }, g.name),
    ...g.services.map((s) => Staff.el("button", {
      type: "button", class: "option", role: "option", id: `to-${s.code}`, "data-code": s.code,
      "data-index": i++, tabindex: "-1", onclick: () => transferTo(s),
    }, s.name)))));
  markActive();
}

function markActive() {
  for (const b of $("transfer-list").querySelectorAll(".option")) {
    const on = Number(b.dataset.index) === transferActive;
    b.classList.toggle("active", on);
    b.setAttribute("aria-selected", on ? "true" : "false");
    if (on) b.scrollIntoView({ block: "nearest" });
  }
  const active = transferShown[transferActive];
  if (active) $("transfer-search").setAttribute("aria-activedescendant", `to-${active.code}`);
  else $("transfer-search").removeAttribute("aria-activedescendant");
}

function transferTo(s) {
  closeForms();
  ticketAction("transfer", { service: s.code });
}

$("transfer-search").addEventListener("input", renderTransferList);
$("transfer-search").addEventListener("keydown", (ev) => {
  if (ev.isComposing) return;  // the input method is still choosing characters
  const n = transferShown.length;
  if (ev.key === "ArrowDown" && n) {
    ev.preventDefault();
    transferActive = (transferActive + 1) % n;
    markActive();
  } else if (ev.key === "ArrowUp" && n) {
    ev.preventDefault();
    transferActive = transferActive <= 0 ? n - 1 : transferActive - 1;
    markActive();
  } else if (ev.key === "Enter") {
    ev.preventDefault();
    const chosen = transferShown[transferActive];
    if (chosen) transferTo(chosen);
  }
});
$("transfer").addEventListener("submit", (ev) => ev.preventDefault());

// ------------------------------------------------------------------ keys

// Shortcuts go by KeyboardEvent.code, the physical key: with a Chinese input method switched on,
// `key` is "Process" (keyCode 229) for every letter, but `code` still says KeyN.
function typing() {
  const a = document.activeElement;
  return !!a && (["INPUT", "SELECT", "TEXTAREA"].includes(a.tagName) || a.isContentEditable);
}

document.addEventListener("keydown", (ev) => {
  if (!session.window) return;
  if (ev.code === "Escape" || ev.key === "Escape") {
    if (formOpen()) { ev.preventDefault(); closeForms(); } else if (pending) { ev.preventDefault(); undoNoShow(); }
    return;
  }
  if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat || typing()) return;
  if (ev.code === "KeyZ") {
    if (pending) { ev.preventDefault(); undoNoShow(); }
    return;
  }
  if (ev.code === "KeyQ") { ev.preventDefault(); $("signout").click(); return; }
  const button = document.querySelector(`.actions button[data-code="${ev.code}"]`);
  if (button) {
    ev.preventDefault();  // the letter must not land in a form opened by this very key
    if (!button.disabled) button.click();
  }
});

// ------------------------------------------------------------------ 咨询台

async function loadReceptionServices() {
  const { services } = await Staff.api("GET", "/api/services", undefined, null);
  $("reception-service").replaceChildren(...services.map((s) => Staff.el("option", { value: s.code }, s.name)));
}

async function refreshPrinter() {
  const p = await Staff.api("GET", "/api/reception/printer");
  $("reception-printer").textContent = `打印机：${p.label}`;
}

$("reception-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const result = $("reception-result");
  const idNumber = $("reception-id").value.trim();
  const body = { service: $("reception-service").value, priority: $("reception-priority").value };
  if (idNumber) body.id_number = idNumber;
  try {
    const r = await Staff.api("POST", "/api/reception/tickets", body);
    result.className = "";
    result.textContent = `已取号 ${r.ticket.number}（${r.ticket.service_name}，前面 ${r.ticket.waiting_ahead} 人）· ` +
      (r.print.printed ? "号票已打印" : `未打印：${r.print.label}，请把号码告诉办事人`);
    $("reception-printer").textContent = `打印机：${r.print.label}`;
    $("reception-id").value = "";  // the number stays on this screen no longer than needed
  } catch (e) {
    if (e.status === 401) { signOut(e.message); return; }
    // The desk's own line: the window console's message line is hidden at the desk.
    result.className = "error";
    result.textContent = e.message;
  }
});

// ------------------------------------------------------------------ 预约签到

// A booked visitor at the desk: the 8-character code, typed in any case or scanned from the
// booking's QR (HQB:CODE), gives their 预约号. Without the code, their phone finds today's bookings.
// Refusals are said as the server words them, with the time to come back or the number given.
const BOOKING_CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/;
const BOOKING_STATE = { booked: "已预约", checked_in: "已签到", missed: "未到", cancelled: "已取消" };
let checkIn = null;  // { code, requestId }: a retry of the same code after a lost answer is the same check-in

function readBookingCode(typed) {
  const text = typed.normalize("NFKC").trim().toUpperCase().replace(/[\s-]/g, "");
  const scanned = /(?:HQB:|\/BOOK\/)([0-9A-Z]{8})$/.exec(text);
  return scanned ? scanned[1] : text;
}

function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));  // randomUUID needs https; the hall's LAN is http
  return `desk-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function checkInSays(kind, ...lines) {
  const box = $("check-in-result");
  box.className = `check-in-result ${kind}`;
  box.replaceChildren(...lines);
}

function refusal(e) {
  const d = e.details || {};
  let text = e.message;
  if (e.code === "too_early" && d.come_back_time && !text.includes(d.come_back_time)) {
    text += `（请于 ${d.come_back_time} 后再来签到）`;
  } else if (e.code === "used" && d.number && !text.includes(d.number)) {
    text += `（已取号 ${d.number}）`;
  } else if (e.code === "offline" && checkIn) {
    text += "。重试时仍用同一预约码，不会重复取号";
  }
  return text;
}

async function checkInBooking(typed) {
  const code = readBookingCode(typed);
  if (!BOOKING_CODE.test(code)) {
    checkInSays("error", code.length === 8
      ? "预约码中没有数字 0、1 和字母 O、I、L，请核对后重新输入"
      : `预约码是 8 位字母和数字，现在输入了 ${code.length} 位，请核对`);
    return;
  }
  if (!checkIn || checkIn.code !== code) checkIn = { code, requestId: newRequestId() };
  checkInSays("info", `正在为预约 ${code} 签到…`);
  let r;
  try {
    r = await Staff.api("POST", `/api/bookings/${code}/check-in`, { request_id: checkIn.requestId });
  } catch (e) {
    if (e.status === 401) { signOut(e.message); return; }
    if (e.code !== "offline") checkIn = null;
    checkInSays("error", Staff.el("span", { class: "note" }, `预约 ${code}：${refusal(e)}`));
    return;
  }
  checkIn = null;
  $("check-in-code").value = "";
  const t = r.ticket;
  const b = r.booking || {};
  const slot = b.slot_label || (b.slot_start ? `${hhmm(b.slot_start)}-${hhmm(b.slot_end)}` : "");
  const lines = [
    Staff.el("span", { class: "issued", id: "check-in-number" }, t.number),
    Staff.el("span", {}, r.on_time ? "预约号" : "普通号"),
    Staff.el("span", { class: "sub" }, [t.service_name, slot && `预约时段 ${slot}`, b.name && `预约人 ${b.name}`,
      typeof t.waiting_ahead === "number" ? `前面 ${t.waiting_ahead} 人` : ""].filter(Boolean).join(" · ")),
  ];
  // Late: a normal ticket, and the server's words for why, to pass on to the visitor.
  if (!r.on_time) lines.push(Staff.el("span", { class: "note" }, r.message || "已超过预约签到时间，按普通号排队"));
  if (r.print) {
    lines.push(Staff.el("span", { class: "sub" },
      r.print.printed ? "号票已打印" : `未打印：${r.print.label}，请把号码告诉办事人`));
    $("reception-printer").textContent = `打印机：${r.print.label}`;
  } else {
    lines.push(Staff.el("span", { class: "sub" }, "请把号码告诉办事人"));
  }
  checkInSays(r.on_time ? "ok" : "warn", ...lines);
  if (!$("lookup-result").classList.contains("hidden") && $("lookup-phone").value.trim()) await lookUpBookings();
}

$("check-in-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const typed = $("check-in-code").value;
  if (!typed.trim()) { $("check-in-code").focus(); return; }
  // The field keeps the focus, what was typed selected: the next scan (a scanner types and
  // presses Enter) or a corrected code replaces it.
  run(() => checkInBooking(typed)).then(() => { $("check-in-code").focus(); $("check-in-code").select(); });
});

function hallDay(ms) {
  const parts = (zone) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(ms));
  try { return parts(hall.timezone); } catch (e) { return parts(undefined); }
}

function readPhone(typed) {
  const digits = typed.normalize("NFKC").replace(/[\s\-()]/g, "").replace(/^(\+?86)(?=1\d{10}$)/, "");
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

async function lookUpBookings() {
  const phone = readPhone($("lookup-phone").value);
  const box = $("lookup-result");
  box.classList.remove("hidden");
  if (!phone) {
    box.replaceChildren(Staff.el("p", { class: "none" }, "请输入预约时填写的 11 位手机号"));
    return;
  }
  const day = hallDay(serverNow());
  let r;
  try {
    r = await Staff.api("GET", `/api/admin/bookings?date=${day}&phone=${encodeURIComponent(phone)}`);
  } catch (e) {
    if (e.status === 401) { signOut(e.message); return; }
    // The window console's message line is not on the desk's screen: the refusal goes here.
    box.replaceChildren(Staff.el("p", { class: "message error" }, e.message));
    return;
  }
  const list = r.bookings || [];
  if (!list.length) {
    box.replaceChildren(Staff.el("p", { class: "none" }, `手机号 ${phone} 今天没有预约`));
    return;
  }
  box.replaceChildren(Staff.el("table", {},
    Staff.el("thead", {}, Staff.el("tr", {}, ...["预约码", "业务", "时段", "姓名", "状态", "号码", ""].map((h) => Staff.el("th", {}, h)))),
    Staff.el("tbody", { id: "lookup-rows" }, ...list.map((b) => Staff.el("tr", { "data-booking": b.code },
      Staff.el("td", {}, b.code),
      Staff.el("td", {}, b.service_name || b.service),
      Staff.el("td", {}, b.slot_label || `${hhmm(b.slot_start)}-${hhmm(b.slot_end)}`),
      Staff.el("td", {}, b.name_masked || b.name || "—"),
      Staff.el("td", {}, BOOKING_STATE[b.status] || b.status_label || ""),
      Staff.el("td", {}, b.ticket_number || "—"),
      Staff.el("td", {}, b.status === "booked"
        ? Staff.el("button", { type: "button", class: "primary", "data-check-in": b.code,
                               onclick: () => run(() => checkInBooking(b.code)) }, "签到")
        : ""))))));
}

$("booking-lookup").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(lookUpBookings);
});

// ------------------------------------------------------------------ live updates

Staff.follow((msg) => {
  if (!session.window || msg.type !== "event") return;
  const mine = msg.window === session.window || (msg.ticket && session.services.includes(msg.ticket.service))
    || Object.keys(msg.waiting || {}).some((s) => session.services.includes(s));
  if (mine) run(refresh);
}, (ok) => {
  $("link").className = ok ? "link" : "link lost";
  $("link").textContent = ok ? "● 实时" : "连接中断，正在重连…";
});

loadWindows().then(() => {
  const role = sessionStorage.getItem("hallqueue.role");
  const saved = Number(sessionStorage.getItem("hallqueue.window")) || null;
  if (Staff.token() && role) {
    start(saved, sessionStorage.getItem("hallqueue.login") || "", role, sessionStorage.getItem("hallqueue.name"));
  }
});

// The clerk console (窗口叫号): every action a hall's hardware caller has, as buttons and keys.
// Refusals from the server are shown in its own Chinese words, never swallowed.
"use strict";

const $ = (id) => document.getElementById(id);
const session = { window: null, login: null, role: null, ticket: null, status: null, services: [] };
// Who sees what: window staff the window's console, the 咨询台 (reception) its ticket form, an
// admin both. The server enforces the same roles; this only keeps refused buttons off the screen.
const RECEPTION_ROLES = ["reception", "admin"];

function show(text, ok = false) {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${ok ? "ok" : "error"}`;
}

async function run(action) {
  try {
    await action();
  } catch (e) {
    if (e.status === 401) { signOut(e.message); return; }
    show(e.message);
  }
}

function signOut(reason) {
  Staff.signOut();
  sessionStorage.removeItem("hallqueue.window");
  sessionStorage.removeItem("hallqueue.role");
  $("console").classList.add("hidden");
  $("signout").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("who").textContent = "";
  if (reason) { $("login-error").textContent = reason; $("login-error").classList.remove("hidden"); }
}

async function loadWindows() {
  const state = await Staff.api("GET", "/api/state", undefined, null);
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
    sessionStorage.setItem("hallqueue.role", result.role);
    $("login-password").value = "";
    start(result.window, result.login, result.role);
  } catch (e) {
    $("login-error").textContent = e.message;
    $("login-error").classList.remove("hidden");
  }
});

async function start(window, login, role) {
  session.window = window || null;
  session.login = login;
  session.role = role;
  const desk = RECEPTION_ROLES.includes(role);
  $("login").classList.add("hidden");
  $("login-error").classList.add("hidden");
  $("console").classList.remove("hidden");
  $("signout").classList.remove("hidden");
  $("window-console").classList.toggle("hidden", !session.window);
  $("reception").classList.toggle("hidden", !desk);
  $("who").textContent = `${login} · ${session.window ? `${session.window} 号窗口` : "咨询台"}`;
  if (session.window) await run(refresh);
  if (desk) { await run(loadReceptionServices); await run(refreshPrinter); }
}

async function loadReceptionServices() {
  const { services } = await Staff.api("GET", "/api/services", undefined, null);
  $("reception-service").replaceChildren(...services.map((s) => Staff.el("option", { value: s.code }, s.name)));
}

async function refresh() {
  const q = await Staff.api("GET", `/api/windows/${session.window}/queue`);
  session.ticket = q.ticket;
  session.status = q.status;
  session.services = q.services.map((s) => s.code);
  $("title").textContent = `${q.window} 号窗口 · ${q.name}`;
  $("queue-rows").replaceChildren(...q.services.map((s) => Staff.el("tr", {},
    Staff.el("td", {}, s.name), Staff.el("td", {}, `${s.waiting} 人`), Staff.el("td", {}, s.next.join("、") || "—"))));
  const options = q.all_services.map((s) => Staff.el("option", { value: s.code }, s.name));
  if (!$("transfer-service").options.length) $("transfer-service").replaceChildren(...options);
  $("act-pause").firstChild.textContent = q.status === "paused" ? "恢复" : "暂停";
  renderTicket();
}

function renderTicket() {
  const t = session.ticket;
  $("ticket").classList.toggle("hidden", !t);
  $("ticket-none").classList.toggle("hidden", !!t);
  const paused = session.status === "paused";
  $("act-call").disabled = !!t || paused;
  $("act-call-number").disabled = !!t || paused;
  for (const id of ["act-recall", "act-no-show", "act-start"]) $(id).disabled = !t || t.status !== "called";
  $("act-finish").disabled = !t;
  $("act-transfer").disabled = !t;
  if (!t) return;
  $("ticket-number").textContent = t.number;
  $("ticket-service").textContent = t.service_name;
  $("ticket-priority").textContent = t.priority === "normal" ? "" : `【${t.priority_label}】请核验证件`;
  $("ticket-status").textContent = t.status_label;
  tickTimes();
}

function tickTimes() {
  const t = session.ticket;
  if (!t) return;
  const now = Date.now();
  const called = Date.parse(t.called_at);
  $("ticket-waited").textContent = Staff.duration((called - Date.parse(t.issued_at)) / 1000);
  $("ticket-served").textContent = Staff.duration((now - Date.parse(t.started_at || t.called_at)) / 1000);
}
setInterval(tickTimes, 1000);

const ticketAction = (action, body) => run(async () => {
  const t = await Staff.api("POST", `/api/tickets/${session.ticket.id}/${action}`, body);
  const said = { recall: `已重呼 ${t.number} 号（第 ${t.call_count} 次）`, "no-show": `${t.number} 号已过号`,
                 start: `${t.number} 号开始办理`, finish: `${t.number} 号已办结`,
                 transfer: `${t.number} 号已转至 ${t.service_name}` }[action];
  // Refresh first: when the message shows, the buttons already fit the new state (a key pressed
  // on seeing "已过号" then calls the next number instead of meeting a still-disabled 叫号).
  await refresh();
  show(said, true);
});

const actions = {
  "act-call": () => run(async () => {
    const t = await Staff.api("POST", `/api/windows/${session.window}/call-next`);
    if (t) show(`已叫 ${t.number} 号`, true); else show("本窗口的业务暂时没有等候的号");
    await refresh();
  }),
  "act-recall": () => ticketAction("recall"),
  "act-no-show": () => ticketAction("no-show"),
  "act-start": () => ticketAction("start"),
  "act-finish": () => ticketAction("finish"),
  "act-transfer": () => { $("transfer").classList.remove("hidden"); $("transfer-service").focus(); },
  "act-call-number": () => { $("call-number").classList.remove("hidden"); $("call-number-value").focus(); },
  "act-pause": () => run(async () => {
    const change = session.status === "paused" ? "resume" : "pause";
    await Staff.api("POST", `/api/windows/${session.window}/${change}`);
    show(change === "pause" ? "本窗口已暂停服务" : "本窗口已恢复服务", true);
    await refresh();
  }),
  "act-rate": () => run(async () => {
    await Staff.api("POST", `/api/windows/${session.window}/request-rating`);
    show("已请办事人在评价器上评价", true);
  }),
};
for (const [id, act] of Object.entries(actions)) $(id).addEventListener("click", act);

$("transfer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  $("transfer").classList.add("hidden");
  ticketAction("transfer", { service: $("transfer-service").value });
});
$("call-number").addEventListener("submit", (ev) => {
  ev.preventDefault();
  $("call-number").classList.add("hidden");
  run(async () => {
    const t = await Staff.api("POST", `/api/windows/${session.window}/call`,
                              { number: $("call-number-value").value.trim().toUpperCase() });
    show(`已叫 ${t.number} 号`, true);
    await refresh();
  });
});
for (const b of document.querySelectorAll("form.inline .cancel")) {
  b.addEventListener("click", () => b.closest("form").classList.add("hidden"));
}
$("signout").addEventListener("click", () => run(async () => {
  await Staff.api("POST", "/api/logout");
  signOut();
}));

document.addEventListener("keydown", (ev) => {
  if (!session.window || ev.ctrlKey || ev.altKey || ev.metaKey) return;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
  const key = ev.key.toLowerCase();
  if (key === "q") { $("signout").click(); return; }
  const button = document.querySelector(`.actions button[data-key="${key}"]`);
  if (button && !button.disabled) { ev.preventDefault(); button.click(); }
});

async function refreshPrinter() {
  const p = await Staff.api("GET", "/api/reception/printer");
  $("reception-printer").textContent = `打印机：${p.label}`;
}

$("reception-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    const r = await Staff.api("POST", "/api/reception/tickets",
                              { service: $("reception-service").value, priority: $("reception-priority").value });
    $("reception-result").textContent = `已取号 ${r.ticket.number}（${r.ticket.service_name}，前面 ${r.ticket.waiting_ahead} 人）· ` +
      (r.print.printed ? "号票已打印" : `未打印：${r.print.label}，请把号码告诉办事人`);
    $("reception-printer").textContent = `打印机：${r.print.label}`;
  });
});

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
  if (Staff.token() && role) start(saved, sessionStorage.getItem("hallqueue.login") || "", role);
});

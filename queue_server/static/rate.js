// The evaluator tablet at a window (好差评). It is opened once as /rate/WINDOW#token=EVALUATOR_TOKEN,
// the token of an evaluator device bound to that window (`hallqueue device add NAME --kind evaluator
// --window N`): the token stays on the tablet (never in a URL the server logs). It shows the five
// levels when the window finishes a ticket or the clerk presses 评价, and can rate only that ticket.
"use strict";

const $ = (id) => document.getElementById(id);
const windowNumber = Number(location.pathname.split("/").pop());
const KEY = `hallqueue.rate.${windowNumber}`;
const IDLE_MS = 60000;
let level = null;
let idleTimer = null;

const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) { localStorage.setItem(KEY, fromHash); history.replaceState(null, "", location.pathname); }
const token = localStorage.getItem(KEY);
const call = (method, path, body) => Staff.api(method, path, body, token);

function screen(name) {
  for (const id of ["idle", "ask", "thanks"]) $(id).classList.toggle("hidden", id !== name);
  clearTimeout(idleTimer);
  if (name !== "idle") idleTimer = setTimeout(() => screen("idle"), name === "thanks" ? 5000 : IDLE_MS);
}

// A 401 or 403 means the tablet itself is wrong (no token, revoked, another window's): that stays
// on screen until someone sets it up again. Passing errors (network, nothing to rate) fade away.
let unauthorised = false;
let messageTimer = null;

function fail(e) {
  if (unauthorised) return;
  unauthorised = e.status === 401 || e.status === 403 || e.code === "unconfigured";
  $("message").textContent = unauthorised
    ? `本评价器不能评价 ${windowNumber} 号窗口：${e.message}。请管理员用 /rate/${windowNumber}#token=评价器令牌 重新打开一次`
    : e.message;
  $("message").classList.remove("hidden");
  clearTimeout(messageTimer);
  if (!unauthorised) messageTimer = setTimeout(() => $("message").classList.add("hidden"), 8000);
}

async function setup() {
  $("title").textContent = `${windowNumber} 号窗口 · 服务评价`;
  const options = await call("GET", "/api/ratings/options");
  $("levels").replaceChildren(...options.levels.map((l) => Staff.el("button", { class: `l${l.level}`, "data-level": l.level,
    onclick: () => choose(l.level) }, l.label)));
  $("reason-list").replaceChildren(...options.reasons.map((r) => Staff.el("label", {},
    Staff.el("input", { type: "checkbox", value: r }), ` ${r}`)));
  await check();
}

async function check() {
  try {
    const pending = await call("GET", `/api/windows/${windowNumber}/rating`);
    if (!pending) { if (!$("ask").classList.contains("hidden")) screen("idle"); return; }
    $("number").textContent = pending.number;
    $("service").textContent = pending.service_name;
    level = null;
    $("reasons").classList.add("hidden");
    for (const b of $("levels").children) b.classList.remove("chosen");
    for (const c of $("reason-list").querySelectorAll("input")) c.checked = false;
    screen("ask");
  } catch (e) { fail(e); }
}

async function send(reasons) {
  try {
    await call("POST", `/api/windows/${windowNumber}/rating`, { level, reasons });
    screen("thanks");
  } catch (e) { fail(e); screen("idle"); }
}

function choose(chosen) {
  level = chosen;
  for (const b of $("levels").children) b.classList.toggle("chosen", Number(b.dataset.level) === chosen);
  if (chosen <= 2) { $("reasons").classList.remove("hidden"); screen("ask"); } else send([]);
}

$("send-low").addEventListener("click", () => {
  send([...$("reason-list").querySelectorAll("input:checked")].map((c) => c.value));
});

Staff.follow((msg) => {
  if (msg.type === "event" && msg.window === windowNumber
      && ["finished", "rating_requested", "rated"].includes(msg.kind)) check();
}, (ok) => {
  $("link").className = ok ? "link" : "link lost";
  $("link").textContent = ok ? "● 实时" : "连接中断";
}, token);  // the tablet's own token: rating_requested is not on the public stream

if (!token) fail(new Staff.ApiError(0, "unconfigured", "尚未配置评价器令牌"));
else setup().catch(fail);

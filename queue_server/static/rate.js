// The evaluator tablet at a window (好差评). It is opened once as /rate/WINDOW#token=EVALUATOR_TOKEN,
// the token of an evaluator device bound to that window (`hallqueue device add NAME --kind evaluator
// --window N`): the token stays on the tablet (never in a URL the server logs). It shows who serves
// at the window (亮牌) all the time, and the five levels when the window finishes a ticket or the
// clerk presses 评价; it can rate only that ticket.
"use strict";

const $ = (id) => document.getElementById(id);
const windowNumber = Number(location.pathname.split("/").pop());
const KEY = `hallqueue.rate.${windowNumber}`;
const ASK_IDLE_MS = 60000;  // a visitor who walks away: back to the idle screen
const THANKS_MS = 6000;
const RETRY_MS = 5000;
// The server's rule (models.PHONE_PATTERN): a mainland mobile, or a landline with its area code.
const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
const COMMENT_MAX = 200;

let level = null;
let screenTimer = null;
let toastTimer = null;
let broken = false;     // the tablet may not rate this window: the fault panel stays
let following = false;
let windowStatus = null;  // open | paused | closed, from the event stream
let staffGeneration = 0;  // answers of an older staff-card load are dropped
let photoUrl = null;

const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) { localStorage.setItem(KEY, fromHash); history.replaceState(null, "", location.pathname); }
const token = localStorage.getItem(KEY);
const call = (method, path, body) => Staff.api(method, path, body, token);

// ------------------------------------------------------------------ screens

function screen(name) {
  for (const id of ["idle", "ask", "thanks"]) $(id).classList.toggle("hidden", id !== name);
  clearTimeout(screenTimer);
  if (name === "ask") screenTimer = setTimeout(() => screen("idle"), ASK_IDLE_MS);
  if (name === "thanks") screenTimer = setTimeout(() => screen("idle"), THANKS_MS);
  if (name === "idle") resetForm();  // what one visitor typed is never shown to the next
}

function resetForm() {
  level = null;
  $("ask").classList.remove("low");
  $("reasons").classList.add("hidden");
  $("levels").classList.remove("has-choice");
  for (const b of $("levels").children) { b.classList.remove("chosen"); b.setAttribute("aria-pressed", "false"); }
  for (const c of $("reason-list").querySelectorAll("input")) c.checked = false;
  $("comment").value = "";
  $("phone").value = "";
  phoneError("");
  updateSend();
  updateCount();
}

function toast(text) {
  $("toast").textContent = text;
  $("toast").classList.remove("hidden");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => $("toast").classList.add("hidden"), 8000);
}

// A 401 or 403 means the tablet itself is wrong (no token, revoked, a display's, another
// window's): the fault panel replaces the rating screen until someone sets it up. Passing errors
// (network, nothing to rate) are a toast that fades.
function fail(e) {
  if (broken) return;
  const fatal = e.status === 401 || e.status === 403 || e.code === "unconfigured";
  if (!fatal) { toast(e.message); return; }
  broken = true;
  clearTimeout(screenTimer);
  $("fault-title").textContent = e.code === "unconfigured" ? "评价器尚未设置" : "评价器无权评价本窗口";
  $("message").textContent = e.code === "unconfigured"
    ? `本评价器尚未设置令牌，不能评价 ${windowNumber} 号窗口的服务。`
    : e.status === 401
      ? `本评价器的令牌无效或已停用，无权评价 ${windowNumber} 号窗口的服务。`
      : `本评价器无权评价 ${windowNumber} 号窗口的服务：${e.message}`;
  $("fault-window").textContent = windowNumber;
  $("fault-url").textContent = `${location.origin}/rate/${windowNumber}#token=评价器令牌`;
  $("board").classList.add("hidden");
  $("fault").classList.remove("hidden");
}

$("fault-retry").addEventListener("click", () => location.reload());

// ------------------------------------------------------------------ 亮牌

function firstChar(name) { return name ? [...name.trim()][0] || "" : ""; }

function showPhoto(blob) {
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = blob ? URL.createObjectURL(blob) : null;
  $("photo").classList.toggle("hidden", !photoUrl);
  $("avatar").classList.toggle("hidden", !!photoUrl);
  if (photoUrl) $("photo").src = photoUrl; else $("photo").removeAttribute("src");
}

async function fetchPhoto() {
  // The photo needs the tablet's token: fetched as a blob and shown by an object URL.
  const resp = await fetch(`/api/windows/${windowNumber}/staff/photo`, { headers: { Authorization: `Bearer ${token}` } });
  return resp.ok ? resp.blob() : null;
}

async function loadStaff() {
  const generation = ++staffGeneration;
  const card = await call("GET", `/api/windows/${windowNumber}/staff`);
  if (generation !== staffGeneration) return;
  $("title").textContent = `${windowNumber} 号窗口 · 服务评价`;
  $("window-label").textContent = `${windowNumber} 号窗口 · ${card.window_name}`;
  const name = card.open ? card.name || "" : "";
  $("staff-name").textContent = card.open ? name || "工作人员" : "—";
  $("staff-no").textContent = card.open && card.staff_no ? `工号 ${card.staff_no}` : "";
  $("avatar").textContent = card.open ? firstChar(name) : "";
  $("card").classList.toggle("vacant", !card.open);
  const blob = card.open && card.photo ? await fetchPhoto().catch(() => null) : null;
  if (generation !== staffGeneration) return;
  showPhoto(blob);
  if (!card.open) setStatus("closed");
  else if (windowStatus === "closed" || windowStatus === null) setStatus("open");
}

function setStatus(status) {
  windowStatus = status;
  const duty = $("duty");
  duty.className = `duty ${status}`;
  duty.textContent = { open: "为您服务", paused: "暂停服务", closed: "本窗口暂未开放" }[status] || "";
  const [title, hint] = {
    open: ["欢迎您！", "业务办结后，请在这里对本窗口的服务进行评价"],
    paused: ["本窗口暂停服务", "请稍候，工作人员马上回来"],
    closed: ["本窗口暂未开放", "请到其他窗口办理，或咨询大厅引导人员"],
  }[status] || ["欢迎您！", ""];
  $("idle-title").textContent = title;
  $("idle-hint").textContent = hint;
}

function refreshStaff() { loadStaff().catch(fail); }

// ------------------------------------------------------------------ rating

async function setup() {
  $("title").textContent = `${windowNumber} 号窗口 · 服务评价`;
  const options = await call("GET", "/api/ratings/options");
  $("levels").replaceChildren(...options.levels.map((l) => Staff.el("button", {
    class: `level l${l.level}`, type: "button", "data-level": l.level, "aria-pressed": "false",
    onclick: () => choose(l.level),
  }, Staff.el("span", { class: "face", "aria-hidden": "true" }), Staff.el("span", { class: "label" }, l.label),
     Staff.el("span", { class: "tick", "aria-hidden": "true" }))));
  $("reason-list").replaceChildren(...options.reasons.map((r) => Staff.el("label", { class: "reason" },
    Staff.el("input", { type: "checkbox", value: r, onchange: updateSend }), Staff.el("span", {}, r))));
  await loadStaff();
  await check();
  showComplaintPhone();
}

// The hall's 监督投诉电话 under the card, as on the hall's printed 亮牌 (a nicety: no error shown).
async function showComplaintPhone() {
  const info = await call("GET", "/api/services").catch(() => null);
  const phone = info?.hall?.complaint_phone;
  $("complaint").textContent = phone ? `监督投诉电话 ${phone}` : "";
  $("complaint").classList.toggle("hidden", !phone);
}

async function check() {
  try {
    const pending = await call("GET", `/api/windows/${windowNumber}/rating`);
    if (!pending) { if (!$("ask").classList.contains("hidden")) screen("idle"); return; }
    if (!$("ask").classList.contains("hidden") && $("number").textContent === pending.number) return;
    $("number").textContent = pending.number;
    $("service").textContent = pending.service_name;
    resetForm();
    screen("ask");
  } catch (e) { fail(e); }
}

function chosenReasons() {
  return [...$("reason-list").querySelectorAll("input:checked")].map((c) => c.value);
}

function updateSend() {
  const none = chosenReasons().length === 0;
  $("send-low").disabled = none;
  $("send-hint").classList.toggle("hidden", !none);
}

function updateCount() {
  const left = COMMENT_MAX - [...$("comment").value].length;
  $("comment-count").textContent = `还可输入 ${Math.max(0, left)} 字`;
}

function phoneError(text) {
  $("phone-error").textContent = text;
  $("phone-error").classList.toggle("hidden", !text);
  $("phone").classList.toggle("invalid", !!text);
}

// What the visitor typed, as the server wants it: full-width digits and dashes (Chinese input
// methods type them) made plain, spaces dropped.
function normalisedPhone() {
  return $("phone").value
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[－—–]/g, "-")
    .replace(/\s+/g, "");
}

function checkPhone() {
  const phone = normalisedPhone();
  if (phone && !PHONE.test(phone)) {
    phoneError("电话号码格式不对：请填写 11 位手机号码，或带区号的固定电话（如 0728-1234567）；不需要回访可以不填。");
    return null;
  }
  phoneError("");
  return phone;
}

async function send(body) {
  try {
    await call("POST", `/api/windows/${windowNumber}/rating`, { level, ...body });
    $("thanks-more").textContent = level <= 2
      ? (body.phone ? "我们会认真核实整改，工作人员将按您留下的电话回访。" : "我们会认真核实整改。")
      : "祝您生活愉快，欢迎再次光临！";
    screen("thanks");
  } catch (e) {
    fail(e);
    if (e.status === 400) return;  // the form stays as it was, with the server's reason shown
    if (!broken) screen("idle");
  }
}

function choose(chosen) {
  level = chosen;
  $("levels").classList.add("has-choice");
  for (const b of $("levels").children) {
    const on = Number(b.dataset.level) === chosen;
    b.classList.toggle("chosen", on);
    b.setAttribute("aria-pressed", String(on));
  }
  $("ask").classList.toggle("low", chosen <= 2);
  if (chosen <= 2) {
    $("reasons").classList.remove("hidden");
    updateSend();
    screen("ask");  // restarts the walk-away timer
  } else {
    send({ reasons: [] });
  }
}

$("send-low").addEventListener("click", () => {
  const reasons = chosenReasons();
  if (!reasons.length) { updateSend(); return; }
  const phone = checkPhone();
  if (phone === null) { $("phone").focus(); return; }
  const comment = $("comment").value.trim();
  send({ reasons, comment, ...(phone ? { phone } : {}) });
});
$("comment").addEventListener("input", updateCount);
$("phone").addEventListener("input", () => { if (!$("phone-error").classList.contains("hidden")) checkPhone(); });
$("phone").addEventListener("blur", checkPhone);
// Someone typing a comment is not walking away.
$("ask").addEventListener("input", () => screen("ask"));
$("ask").addEventListener("pointerdown", () => { if (!$("ask").classList.contains("hidden")) screen("ask"); });

// ------------------------------------------------------------------ event stream

function onMessage(msg) {
  if (broken) return;
  if (msg.type === "snapshot") {
    const w = (msg.windows || []).find((x) => x.number === windowNumber);
    if (w) setStatus(w.status);
    refreshStaff();
    check();
    return;
  }
  if (msg.type === "resumed") { check(); return; }
  if (msg.type !== "event" || msg.window !== windowNumber) return;
  if (msg.window_status) setStatus(msg.window_status);
  if (["window_opened", "window_closed"].includes(msg.kind)) refreshStaff();
  if (["finished", "rating_requested", "rated"].includes(msg.kind)) check();
}

function start() {
  setup().then(() => {
    if (following || broken) return;  // a tablet in fault does not follow the hall
    following = true;
    // The tablet's own token: rating_requested is not on the public stream.
    Staff.follow(onMessage, (ok) => {
      $("link").className = ok ? "link" : "link lost";
      $("link").textContent = ok ? "● 实时" : "连接中断，正在重连…";
    }, token);
  }).catch((e) => {
    fail(e);
    // The server not reachable yet (the tablet often boots before it): try again.
    if (!broken) setTimeout(start, RETRY_MS);
  });
}

updateCount();
if (!token) fail(new Staff.ApiError(0, "unconfigured", "尚未设置评价器令牌"));
else start();

// The hall manager's live view (/admin): what needs attention first, then every window at a glance
// (pause, resume, sign a clerk out), then queues, faults, follow-ups, notices, the day's bookings
// (预约, with 停约) and today's figures.
// Refreshed whenever the event stream reports a change, and every half minute (alerts such as an
// idle window arise with time alone). The 短信提醒 card follows its own API every ten seconds:
// messages go out without any event in the hall.
"use strict";

const $ = (id) => document.getElementById(id);
const el = Staff.el;
const POLL_MS = 30000;
const NOTIFY_POLL_MS = 10000;
const REVEAL_MS = 120000;   // a revealed call-back number is masked again after two minutes
const CONFIRM_MS = 20000;   // an unanswered confirm step goes away
const NAME_KEY = "hallqueue.admin.name";
const WINDOW_STATE = { busy: "服务中", idle: "空闲", paused: "暂停服务", closed: "未开放" };
const TILE_STATE = { ...WINDOW_STATE, paused: "暂停" };  // a tile has room for few characters
const TICKET_STATE = { called: "已叫号", serving: "办理中" };
const FOLLOWUP_STATE = { overdue: "已超期", due_soon: "将到期", open: "跟进中" };
const row = (...cells) => el("tr", {}, ...cells.map((c) => (c instanceof Node ? c : el("td", {}, c ?? "—"))));
let zone;  // the hall's time zone, whatever this PC's is
let refreshing = null;
let confirming = null;       // {window, act}: the tile showing its confirm step
let confirmTimer = null;
let noticesDirty = false;    // the manager is editing the notices: refreshes leave them alone
const drafts = new Map();    // follow-up id -> the resolution being typed
const revealed = new Map();  // follow-up id -> {phone, timer}
let windows = [];            // the last overview's windows, for the confirm texts
let hallAlerts = [];         // the last overview's alerts ...
let notifyAlerts = [];       // ... and the 短信提醒 ones (messages stuck), shown together

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: zone }) : "—");
const hhmm = (iso) => (iso ? new Date(iso).toLocaleTimeString("zh-CN",
  { hour12: false, timeZone: zone, hour: "2-digit", minute: "2-digit" }) : "");
const dur = (s) => (s == null ? "—" : Staff.duration(s));

// ------------------------------------------------------------------ messages, session

let messageTimer = null;
function show(text, ok = false) {
  $("message").textContent = text;
  $("message").className = `message toast ${ok ? "ok" : "error"}`;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => $("message").classList.add("hidden"), ok ? 6000 : 15000);
}
$("message").addEventListener("click", () => $("message").classList.add("hidden"));

async function guarded(action) {
  try { await action(); } catch (e) {
    if (e.status === 401) { signedOut(e.message); return; }
    show(e.message);
  }
}

function signedOut(reason) {
  Staff.signOut();
  sessionStorage.removeItem(NAME_KEY);
  $("view").classList.add("hidden");
  $("signout").classList.add("hidden");
  $("me").textContent = "";
  $("login").classList.remove("hidden");
  if (reason) loginError(reason);
}

function loginError(text) {
  $("login-error").textContent = text;
  $("login-error").classList.remove("hidden");
}

const MANAGERS_ONLY = "此页面供大厅管理人员使用，该账号不能在此登录；窗口人员请在窗口工作台登录。";

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let r;
  try {
    r = await Staff.api("POST", "/api/login", { login: $("login-name").value.trim(),
                                                password: $("login-password").value }, null);
  } catch (e) {
    // This form names no window: a clerk's account is refused with window_required, since
    // clerks sign in at a window, on the window console.
    const clerk = e.code === "window_required";
    loginError(clerk ? MANAGERS_ONLY : e.message);
    return;
  }
  $("login-password").value = "";
  if (!["manager", "admin"].includes(r.role)) {
    // Signed in, but not for this page: end the session just created, it has no use here.
    await Staff.api("POST", "/api/logout", undefined, r.token).catch(() => {});
    loginError(MANAGERS_ONLY + "本次登录已退出。");
    return;
  }
  Staff.signIn(r.token);
  sessionStorage.setItem(NAME_KEY, r.name);
  start();
});

function start() {
  $("login").classList.add("hidden");
  $("login-error").classList.add("hidden");
  $("view").classList.remove("hidden");
  $("signout").classList.remove("hidden");
  $("me").textContent = sessionStorage.getItem(NAME_KEY) || "";
  guarded(refresh);
}

// ------------------------------------------------------------------ keyed lists

// Re-render only the items whose data changed: a refresh every few seconds must not wipe a
// resolution being typed, a confirm step, or a button under the manager's finger.
function patch(container, items, keyOf, sigOf, build, empty) {
  if (!items.length) {
    if (!container.firstElementChild?.classList.contains("empty")) container.replaceChildren(empty());
    return;
  }
  const old = new Map([...container.children].filter((e) => e.dataset.key).map((e) => [e.dataset.key, e]));
  const next = items.map((item) => {
    const key = String(keyOf(item));
    const sig = sigOf(item);
    const have = old.get(key);
    if (have && have.dataset.sig === sig) return have;
    const made = build(item);
    made.dataset.key = key;
    made.dataset.sig = sig;
    return made;
  });
  next.forEach((e, i) => { if (container.children[i] !== e) container.insertBefore(e, container.children[i] || null); });
  while (container.children.length > next.length) container.lastElementChild.remove();
}

function flash(target) {
  if (!target) return;
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.classList.remove("flash");
  void target.offsetWidth;  // restart the animation
  target.classList.add("flash");
  target.addEventListener("animationend", () => target.classList.remove("flash"), { once: true });
}

// ------------------------------------------------------------------ alerts

function alertItem(a) {
  const tag = a.level === "urgent" ? "紧急" : "提醒";
  return el("button", { type: "button", class: `alert ${a.level}`, "data-alert": a.kind, onclick: () => {
    if (a.window) flash(document.querySelector(`[data-window='${a.window}']`));
    else if (a.followup) flash(document.querySelector(`[data-followup='${a.followup}']`));
    else if (a.kind === "device_fault") flash($("faults-card"));
    else if (a.kind === "notify_stuck") flash($("notify-card"));
    else if (a.service) flash(document.querySelector(`[data-service='${a.service}']`));
  } }, el("span", { class: "tag" }, tag), el("span", { class: "text" }, a.message));
}

function renderAlerts(alerts) {
  const urgent = alerts.filter((a) => a.level === "urgent").length;
  $("alert-count").textContent = alerts.length
    ? `${alerts.length} 项${urgent ? `，其中紧急 ${urgent} 项` : ""}` : "";
  $("alert-count").className = `count ${urgent ? "urgent" : alerts.length ? "warning" : ""}`;
  patch($("alerts"), alerts, (a) => `${a.kind}:${a.window ?? ""}:${a.service ?? ""}:${a.followup ?? ""}:${a.message}`,
    (a) => a.level, alertItem, () => el("p", { class: "empty calm" }, "目前没有需要处理的事项"));
}

// ------------------------------------------------------------------ window tiles

function tileState(w) {
  if (w.status === "closed") return "closed";
  if (w.status === "paused") return "paused";
  return w.ticket ? "busy" : "idle";
}

function tile(w, flag) {
  const state = tileState(w);
  const open = w.status !== "closed";
  const who = w.clerk_name
    ? el("div", { class: "who" }, el("span", { class: "clerk" }, w.clerk_name), " ",
         el("span", { class: "no" }, w.staff_no ? `工号 ${w.staff_no}` : ""))
    : el("div", { class: "who none" }, "无人登录");
  const held = w.ticket ? [el("b", {}, w.ticket), ` ${TICKET_STATE[w.ticket_status] || ""}`] : [];
  const acts = el("div", { class: "acts" });
  if (open) {
    acts.append(w.status === "paused"
      ? el("button", { type: "button", "data-act": "resume", onclick: () => act(w.number, "resume") }, "恢复服务")
      : el("button", { type: "button", "data-act": "pause", onclick: () => ask(w.number, "pause") }, "暂停"),
    el("button", { type: "button", "data-act": "sign-out", onclick: () => ask(w.number, "sign-out") }, "签退"));
  }
  const box = el("div", { class: `tile s-${state}${flag ? ` flag-${flag}` : ""}`, "data-window": w.number,
                          title: w.since ? `${w.number} 号窗口 ${w.name}：${WINDOW_STATE[state]}，状态自 ${hhmm(w.since)} 起` : w.name },
    el("div", { class: "top" }, el("span", { class: "num" }, String(w.number)), " ", el("span", { class: "name" }, w.name)),
    who,
    el("div", { class: "ticket" }, el("span", { class: "state" }, TILE_STATE[state]), el("span", { class: "held" }, ...held)),
    acts);
  if (confirming && confirming.window === w.number) box.append(confirmStep(w));
  return box;
}

function confirmStep(w) {
  const pausing = confirming.act === "pause";
  const text = pausing ? `暂停 ${w.number} 号窗口（${w.name}）的服务？`
                       : `将 ${w.clerk_name || "该工作人员"} 从 ${w.number} 号窗口签退？`;
  return el("div", { class: "confirm", role: "dialog", "aria-label": text }, el("p", {}, text),
    el("div", { class: "confirm-acts" },
      el("button", { type: "button", class: "warn", "data-act": "confirm", onclick: () => act(w.number, confirming.act) },
         pausing ? "确认暂停" : "确认签退"),
      el("button", { type: "button", "data-act": "cancel", onclick: () => ask(null) }, "取消")));
}

function ask(number, what) {
  confirming = number === null ? null : { window: number, act: what };
  clearTimeout(confirmTimer);
  if (confirming) confirmTimer = setTimeout(() => ask(null), CONFIRM_MS);
  renderWindows();
}
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && confirming) ask(null); });

function act(number, what) {
  const w = windows.find((x) => x.number === number) || { number, name: "" };
  confirming = null;
  clearTimeout(confirmTimer);
  guarded(async () => {
    await Staff.api("POST", `/api/windows/${number}/${what}`);
    show({ pause: `${number} 号窗口已暂停服务`, resume: `${number} 号窗口已恢复服务`,
           "sign-out": `已将 ${w.clerk_name || "工作人员"} 从 ${number} 号窗口签退` }[what], true);
  }).then(() => guarded(refresh));
}

let windowFlags = {};
function renderWindows() {
  const counts = { busy: 0, idle: 0, paused: 0, closed: 0 };
  for (const w of windows) counts[tileState(w)] += 1;
  $("window-summary").replaceChildren(...Object.entries(counts).map(([k, n]) =>
    el("span", { class: `sum s-${k}` }, `${WINDOW_STATE[k]} ${n}`)));
  patch($("windows"), windows, (w) => w.number,
    (w) => JSON.stringify([w, windowFlags[w.number] || "", confirming?.window === w.number ? confirming.act : "", zone]),
    (w) => tile(w, windowFlags[w.number]), () => el("p", { class: "empty" }, "大厅没有配置窗口"));
}

// ------------------------------------------------------------------ follow-ups

function followupItem(f) {
  const input = el("input", { placeholder: "整改情况（必填，至少 2 个字）", maxlength: "500", "aria-label": "整改情况",
    oninput: () => drafts.set(f.id, input.value) });
  input.value = drafts.get(f.id) || "";
  const form = el("form", { class: "close", novalidate: "", onsubmit: (ev) => {
    ev.preventDefault();
    const resolution = input.value.trim();
    if ([...resolution].length < 2) { show("请填写整改情况（至少 2 个字）后再办结"); input.focus(); return; }
    guarded(async () => {
      await Staff.api("POST", `/api/followups/${f.id}/close`, { resolution });
      drafts.delete(f.id);
      hidePhone(f.id);
      show(`已办结 ${f.number} 号的差评跟进`, true);
      await refresh();
    });
  } }, input, el("button", { class: "primary", type: "submit" }, "办结"));

  const who = f.clerk_name ? `（${f.clerk_name}）` : "";
  const parts = [el("div", { class: "head" },
    el("span", { class: "what" }, `${f.number} 号 · ${f.window} 号窗口${who} · ${f.level_label}`
      + (f.reasons.length ? ` · ${f.reasons.join("、")}` : "")),
    el("span", { class: `fstate ${f.state}` }, FOLLOWUP_STATE[f.state] || ""))];
  parts.push(el("div", { class: "comment" }, f.comment ? `留言：“${f.comment}”` : "未留言"));
  parts.push(el("div", { class: `due ${f.state}` },
    `限 ${f.due} 前办结 · 开于 ${new Date(f.opened_at).toLocaleString("zh-CN", { hour12: false, timeZone: zone })}`));
  parts.push(form);
  // After the form in the page's order (its first input and button are the close form's), shown
  // above it by CSS.
  if (f.phone_masked) {
    const shown = revealed.get(f.id)?.phone;
    const number = el("span", { class: "phone-number" }, shown || f.phone_masked);
    const button = el("button", { type: "button", class: "reveal", "data-reveal": f.id,
      onclick: () => (revealed.has(f.id) ? hidePhone(f.id) : revealPhone(f.id)) }, shown ? "隐藏号码" : "查看号码");
    parts.push(el("div", { class: "phone" }, "回访电话 ", number, " ", button));
  } else {
    parts.push(el("div", { class: "phone none" }, "未留回访电话"));
  }
  return el("div", { class: `followup ${f.state}`, "data-followup": f.id }, ...parts);
}

function phoneRow(id) { return document.querySelector(`[data-followup='${id}'] .phone:not(.none)`); }

async function revealPhone(id) {
  await guarded(async () => {
    const r = await Staff.api("GET", `/api/followups/${id}/phone`);
    clearTimeout(revealed.get(id)?.timer);
    revealed.set(id, { phone: r.phone, timer: setTimeout(() => hidePhone(id), REVEAL_MS) });
    const at = phoneRow(id);
    if (at) {
      at.querySelector(".phone-number").textContent = r.phone;
      at.querySelector(".reveal").textContent = "隐藏号码";
    }
  });
}

function hidePhone(id) {
  if (!revealed.has(id)) return;
  clearTimeout(revealed.get(id).timer);
  revealed.delete(id);
  const at = phoneRow(id);
  const item = document.querySelector(`[data-followup='${id}']`);
  if (at && item) {
    // The masked form is in the item's signature: its data, as the overview gave it.
    at.querySelector(".phone-number").textContent = JSON.parse(item.dataset.sig).phone_masked;
    at.querySelector(".reveal").textContent = "查看号码";
  }
}

// ------------------------------------------------------------------ 短信提醒

const SINK_STATE = { ok: "正常", busy: "发送中", stuck: "积压" };

function sinkState(s) {
  return s.stuck ? "stuck" : s.queued ? "busy" : "ok";
}

function sinkItem(s) {
  const waited = s.oldest_queued_s != null ? `，最早的已等 ${dur(s.oldest_queued_s)}` : "";
  const rows = [
    ["待发送", `${s.queued} 条${waited}`],
    ["今日已送达", `${s.delivered_today} 条`],
    ["今日未能送达", `${s.failed_today} 条`],
    ["今日失败尝试", `${s.failed_attempts_today} 次`],
    ["最近错误", s.last_error ? `${s.last_error}（${time(s.last_error_at)}）` : "无"],
  ];
  if (s.retry_in_s != null) rows.push(["下次重试", `${Math.ceil(s.retry_in_s)} 秒后`]);
  const state = sinkState(s);
  // The file or the gateway's address only on hover: the page itself stays in Chinese.
  return el("div", { class: `sink ${state}`, "data-sink": s.name, title: s.target },
    el("div", { class: "sink-head" }, el("b", {}, s.label), el("span", { class: "sink-state" }, SINK_STATE[state])),
    el("dl", {}, ...rows.flatMap(([k, v]) =>
      [el("dt", {}, k), el("dd", { class: k === "最近错误" && s.last_error ? "error" : "" }, v)])));
}

function renderNotify(n) {
  const stuck = n.sinks.filter((s) => s.stuck);
  $("notify-card").classList.toggle("stuck", stuck.length > 0);
  $("notify-summary").textContent = n.enabled
    ? `今日留号 ${n.phones_today} 人 · 前面剩 ${n.notify_ahead} 人时提醒` : "";
  $("notify-summary").className = `count ${stuck.length ? "urgent" : ""}`;
  patch($("notify"), n.sinks, (s) => s.name, (s) => JSON.stringify([s, zone]), sinkItem,
    () => el("p", { class: "empty" }, "本大厅未开通短信提醒"));
  notifyAlerts = stuck.map((s) => ({
    kind: "notify_stuck", level: "urgent",
    message: `短信提醒积压：${s.label}有 ${s.queued} 条未发出${s.last_error ? `（${s.last_error}）` : ""}`,
  }));
}

async function refreshNotify() {
  renderNotify(await Staff.api("GET", "/api/notifier"));
  renderAlerts([...hallAlerts, ...notifyAlerts]);
}

// ------------------------------------------------------------------ the rest

function ratingText(r) {
  return r.ratings ? `${r.ratings} 条，均分 ${r.avg_rating}${r.low_ratings ? `，差评 ${r.low_ratings}` : ""}` : "—";
}

// ------------------------------------------------------------------ 潮汐窗口

let catalogue = null;  // {services, departments} from /api/services, loaded once
let tidalWindow = null;  // the window whose services the form shows
let tidalChosen = [];  // its services as ticked, in order of preference

async function loadCatalogue() {
  if (!catalogue) catalogue = await Staff.api("GET", "/api/services");
}

function renderTidal() {
  if (!catalogue || !windows.length) return;
  const select = $("tidal-window");
  if (!select.options.length) {
    select.replaceChildren(...windows.map((w) => el("option", { value: w.number }, `${w.number} 号 ${w.name}`)));
  }
  const number = Number(select.value);
  if (number !== tidalWindow) {
    tidalWindow = number;
    tidalChosen = [...(windows.find((w) => w.number === number)?.services || [])];
  }
  const q = $("tidal-filter").value.trim().toLowerCase();
  const match = (s) => !q || s.name.includes(q) || s.initials.startsWith(q) || s.department_name.includes(q);
  const boxes = [];
  for (const d of catalogue.departments) {
    const services = catalogue.services.filter((s) => s.department === d.code && match(s));
    if (!services.length) continue;
    boxes.push(el("h3", {}, d.name));
    for (const s of services) {
      const box = el("input", { type: "checkbox", value: s.code, "data-service": s.code });
      box.checked = tidalChosen.includes(s.code);
      box.addEventListener("change", () => {
        tidalChosen = box.checked ? [...tidalChosen, s.code] : tidalChosen.filter((c) => c !== s.code);
      });
      boxes.push(el("label", {}, box, s.name));
    }
  }
  $("tidal-services").replaceChildren(...(boxes.length ? boxes : [el("p", { class: "empty" }, "没有相符的业务")]));
}

$("tidal-window").addEventListener("change", renderTidal);
$("tidal-filter").addEventListener("input", renderTidal);
$("tidal-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (!tidalChosen.length) { show("每个窗口至少办理一项业务"); return; }
  guarded(async () => {
    const r = await Staff.api("PUT", `/api/windows/${tidalWindow}/services`, { services: tidalChosen });
    show(r.changed ? `${r.number} 号窗口现办理：${r.services.map((s) => s.name).join("、")}` : "业务未变", true);
    tidalWindow = null;  // re-read from the next overview
  }).then(() => guarded(refresh));
});

// ------------------------------------------------------------------ 今日预约

// One day's bookings (the date picker, today by default): per service and slot the counts, the
// list with masked names and phones (查看号码 shows one whole, and the server logs it), and 停约:
// blocking the day or one slot, for one service or all, which answers with the bookings already
// on it, to be called. The block form acts on the day shown.
const BOOKING_STATE = { booked: "已预约", checked_in: "已签到", missed: "未到", cancelled: "已取消" };
const BLOCK_REASONS = ["闭馆", "培训", "系统维护", "设备故障"];
let bookingDay = null;         // the last /api/admin/bookings answer
let bookingToday = null;       // the hall's today, from the overview
let bookingLoaded = null;      // the date bookingDay is for
let bookingShown = null;       // the date whose slots the table was last scrolled for
let serverSkew = 0;            // the server's clock minus this PC's
const serverNow = () => Date.now() + serverSkew;
let blockAnswer = null;        // the last 停约's answer: its bookings to contact
let unblocking = null;         // the block whose 解除 asks to be confirmed
let unblockTimer = null;
const bookingPhones = new Map();  // booking id -> {phone, timer}

const isoDay = (d) => (typeof d === "string" ? d.slice(0, 10) : d);
const slotText = (b) => b.slot_label || b.label
  || (b.slot_start || b.start ? `${hhmm(b.slot_start || b.start)}-${hhmm(b.slot_end || b.end)}` : "—");
// A block's slot as the day's slots label it (a block has a start only).
const slotLabelAt = (start) => {
  for (const s of bookingDay?.services || []) {
    const t = (s.slots || []).find((x) => x.start === start);
    if (t) return slotText(t);
  }
  return `${hhmm(start)} 时段`;
};
const serviceName = (code) => (bookingDay?.services || []).find((s) => s.code === code)?.name
  || catalogue?.services.find((s) => s.code === code)?.name || code;
const blockWhat = (b) => `${b.service_name || (b.service ? serviceName(b.service) : "全部预约业务")} · `
  + `${b.slot_start ? slotLabelAt(b.slot_start) : "全天"}`;

function bookingDate() {
  return $("bookings-date").value || bookingToday;
}

function bookingPhoneCell(b, tag = "td") {
  const masked = b.phone_masked || b.phone || "—";
  const shown = bookingPhones.get(b.id)?.phone;
  const number = el("span", { class: "phone-number", "data-masked": masked }, shown || masked);
  const button = el("button", { type: "button", class: "reveal", "data-booking-phone": b.id,
    onclick: () => (bookingPhones.has(b.id) ? hideBookingPhone(b.id) : revealBookingPhone(b.id)) },
  shown ? "隐藏号码" : "查看号码");
  return el(tag, { class: "phone-cell", "data-phone-of": b.id }, number, " ", button);
}

function paintBookingPhone(id) {
  const shown = bookingPhones.get(id)?.phone;
  for (const cell of document.querySelectorAll(`[data-phone-of='${id}']`)) {
    const number = cell.querySelector(".phone-number");
    number.textContent = shown || number.dataset.masked;
    cell.querySelector(".reveal").textContent = shown ? "隐藏号码" : "查看号码";
  }
}

async function revealBookingPhone(id) {
  await guarded(async () => {
    const r = await Staff.api("GET", `/api/admin/bookings/${id}/phone`);
    clearTimeout(bookingPhones.get(id)?.timer);
    bookingPhones.set(id, { phone: r.phone, timer: setTimeout(() => hideBookingPhone(id), REVEAL_MS) });
    paintBookingPhone(id);
  });
}

function hideBookingPhone(id) {
  if (!bookingPhones.has(id)) return;
  clearTimeout(bookingPhones.get(id).timer);
  bookingPhones.delete(id);
  paintBookingPhone(id);
}

function bookingRow(b) {
  // Past its check-in window and not come: counted 未到 with the slot's figures (with late = "normal"
  // the visitor may still come today, for a normal ticket).
  const overdue = b.status === "booked" && b.overdue;
  const state = overdue ? "逾时未到" : BOOKING_STATE[b.status] || b.status_label || "";
  return el("tr", { class: `booking ${overdue ? "missed" : b.status}`, "data-booking": b.id },
    el("td", { class: "code" }, b.code),
    el("td", {}, b.service_name || b.service),
    el("td", {}, slotText(b)),
    el("td", {}, b.name_masked || b.name || "—"),
    bookingPhoneCell(b),
    el("td", {}, el("span", { class: `bstate ${b.status}` }, state)),
    el("td", { class: "ticket-number" }, b.ticket_number || b.number || "—"));
}

// The slots of one service as the day's answer gives them.
const serviceSlots = (s) => s.slots || [];

// The block closing a slot of a service, if any (the day's answer lists the blocks).
const blockOn = (service, start) => (bookingDay?.blocks || []).find((b) =>
  (!b.service || b.service === service) && (!b.slot_start || b.slot_start === start));

function slotRows(day) {
  const rows = [];
  for (const s of day.services || []) {
    rows.push(el("tr", { class: "svc", "data-service-slots": s.code },
      el("th", { colspan: "7" }, s.name || s.service_name || s.code)));
    const slots = serviceSlots(s);
    if (!slots.length) rows.push(el("tr", { class: "none" }, el("td", { colspan: "7" }, "当天不开放预约")));
    for (const t of slots) {
      const blocked = !!t.blocked;
      const reason = t.block_reason || blockOn(s.code, t.start)?.reason;
      // A slot that has begun is no longer offered: its figures stay, its state says so.
      const now = serverNow();
      const begun = Date.parse(t.start) <= now;
      const over = Date.parse(t.end) <= now;
      const state = blocked ? `停约${reason ? `（${reason}）` : ""}`
        : over ? "已结束" : begun ? "进行中" : t.booked >= t.capacity ? "已约满" : "可预约";
      rows.push(el("tr", { class: `slot${blocked ? " blocked" : ""}${over ? " over" : ""}`, "data-slot": `${s.code}@${t.start}` },
        el("td", {}, slotText(t)), el("td", {}, String(t.capacity)), el("td", {}, String(t.booked ?? 0)),
        el("td", {}, String(t.checked_in ?? 0)), el("td", {}, String(t.missed ?? 0)),
        el("td", {}, String(t.cancelled ?? 0)),
        el("td", { class: "slot-state" }, el("span", { class: blocked ? "bstate blocked" : "bstate" }, state))));
    }
  }
  return rows.length ? rows : [el("tr", { class: "none" }, el("td", { colspan: "7" }, "当天没有可预约的时段"))];
}

// Options rebuilt only when they change: a refresh must not close a list the manager has open.
function setOptions(select, options) {
  const sig = JSON.stringify(options);
  if (select.dataset.sig === sig) return;
  const chosen = select.value;
  select.replaceChildren(...options.map(([value, text]) => el("option", { value }, text)));
  select.dataset.sig = sig;
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}

function renderBlockForm(day) {
  $("block-date").textContent = day.date;
  // A day gone by is not blocked (the server refuses it): its blocks and bookings stay on show.
  const past = !!bookingToday && day.date < bookingToday;
  $("block-form").classList.toggle("hidden", past);
  $("block-past").classList.toggle("hidden", !past);
  const services = bookable || day.services || [];
  setOptions($("block-service"), [["", "全部预约业务"], ...services.map((s) => [s.code, s.name || s.code])]);
  renderBlockSlots();
}

function renderBlockSlots() {
  if (!bookingDay) return;
  const code = $("block-service").value;
  // One slot is blocked for one service: for all of them, only the whole day.
  $("block-slot").disabled = !code;
  $("block-slot-hint").classList.toggle("hidden", !!code);
  if (!code) { setOptions($("block-slot"), [["", "全天"]]); return; }
  const starts = new Map();
  for (const t of serviceSlots((bookingDay.services || []).find((s) => s.code === code) || {})) {
    starts.set(t.start, slotText(t));
  }
  const sorted = [...starts.entries()].sort(([a], [b]) => Date.parse(a) - Date.parse(b));
  setOptions($("block-slot"), [["", "全天"], ...sorted]);
}

const ROLE_NAME = { manager: "大厅管理", admin: "管理员" };

function blockItem(b) {
  const asking = unblocking === b.id;
  // The server names who set it as the event log does, "role:login".
  const [role, ...login] = (b.created_by || "").split(":");
  const by = login.length ? `${ROLE_NAME[role] || ""} ${login.join(":")}`.trim() : b.created_by;
  return el("div", { class: "block", "data-block": b.id },
    el("div", { class: "block-what" }, el("b", {}, blockWhat(b)), el("span", { class: "block-reason" }, b.reason)),
    el("div", { class: "block-when" }, b.created_at ? `${hhmm(b.created_at)} 设置${by ? ` · ${by}` : ""}` : ""),
    el("button", { type: "button", class: asking ? "warn" : "", "data-unblock": b.id,
      onclick: () => (asking ? unblock(b) : askUnblock(b.id)) }, asking ? "确认解除" : "解除"));
}

function askUnblock(id) {
  unblocking = id;
  clearTimeout(unblockTimer);
  unblockTimer = setTimeout(() => { unblocking = null; renderBlocks(); }, CONFIRM_MS);
  renderBlocks();
}

function unblock(b) {
  unblocking = null;
  clearTimeout(unblockTimer);
  guarded(async () => {
    await Staff.api("DELETE", `/api/booking-blocks/${b.id}`);
    show(`已解除停约：${blockWhat(b)}，可以重新预约`, true);
    await refreshBookings();
  });
}

function renderBlocks() {
  const blocks = bookingDay?.blocks || [];
  patch($("blocks"), blocks, (b) => b.id, (b) => JSON.stringify([b, unblocking === b.id, zone]), blockItem,
    () => el("p", { class: "empty" }, "当天没有停约"));
}

// The bookings a new block falls on: the visitors to call and tell.
function renderBlockAnswer() {
  const box = $("block-result");
  if (!blockAnswer || blockAnswer.date !== bookingDate()) { box.classList.add("hidden"); return; }
  const list = blockAnswer.bookings;
  const close = el("button", { type: "button", class: "close-result", "aria-label": "关闭",
    onclick: () => { blockAnswer = null; renderBlockAnswer(); } }, "知道了");
  const head = el("div", { class: "block-result-head" },
    el("b", {}, list.length ? `需联系的预约 ${list.length} 个` : "该停约时段没有有效预约，无需联系"), close);
  const parts = [head, el("div", { class: "block-result-what" }, `已停约：${blockAnswer.what}（${blockAnswer.reason}）`)];
  if (list.length) {
    // A list, not a table: the 停约 column is narrow at 1920 wide (three columns), and each line
    // wraps rather than hiding its 查看号码.
    parts.push(el("ul", { id: "block-contacts", class: "contacts" }, ...list.map((b) => el("li", { "data-contact": b.id },
      el("span", { class: "code" }, b.code), el("span", {}, `${b.service_name || b.service} ${slotText(b)}`),
      el("span", {}, b.name_masked || b.name || "—"), bookingPhoneCell(b, "span")))));
  }
  box.replaceChildren(...parts);
  box.classList.remove("hidden");
}

$("block-service").addEventListener("change", renderBlockSlots);
$("block-reasons").replaceChildren(...BLOCK_REASONS.map((r) => el("button", { type: "button", class: "chip",
  onclick: () => { $("block-reason").value = r; } }, r)));
$("block-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const reason = $("block-reason").value.trim();
  if (!reason) { show("请填写停约原因，如 闭馆、培训"); $("block-reason").focus(); return; }
  const date = bookingDate();
  const service = $("block-service").value;
  const slot = $("block-slot").value;
  const body = { date, reason, ...(service ? { service } : {}), ...(slot ? { slot_start: slot } : {}) };
  guarded(async () => {
    const r = await Staff.api("POST", "/api/booking-blocks", body);
    const what = blockWhat(r.block);
    blockAnswer = { date, reason, what: `${date} ${what}`, bookings: r.to_contact || [] };
    $("block-reason").value = "";
    show(`已停约：${what}`, true);
    await refreshBookings();
  });
});

function renderBookings(day) {
  bookingDay = day;
  const isToday = day.date === bookingToday;
  $("bookings-title").textContent = isToday ? "今日预约" : `预约 · ${day.date}`;
  $("bookings-today").classList.toggle("hidden", isToday);
  const list = day.bookings || [];
  const n = day.totals;
  $("bookings-summary").textContent = n && (n.booked || n.cancelled)
    ? `可约 ${n.capacity} · 已约 ${n.booked} · 已签到 ${n.checked_in} · 未到 ${n.missed} · 已取消 ${n.cancelled}` : "";
  const slotsBox = $("booking-slots").closest(".scroll");
  const keep = slotsBox.scrollTop;
  $("booking-slots").replaceChildren(...slotRows(day));
  if (bookingShown !== day.date) {
    // A day newly shown opens at its first slot still to come (today: not at 00:00 or 08:30).
    bookingShown = day.date;
    const next = $("booking-slots").querySelector("tr.slot:not(.over)");
    const head = slotsBox.querySelector("thead").offsetHeight;
    slotsBox.scrollTop = next && next.previousElementSibling?.classList.contains("svc") ? 0
      : next ? next.offsetTop - head - 30 : 0;
  } else {
    slotsBox.scrollTop = keep;
  }
  patch($("booking-list"), list, (b) => b.id, (b) => JSON.stringify([b, zone]), bookingRow,
    () => el("tr", { class: "empty" }, el("td", { colspan: "7" }, "当天没有预约")));
  for (const id of bookingPhones.keys()) paintBookingPhone(id);
  renderBlockForm(day);
  renderBlocks();
  renderBlockAnswer();
}

// The services that take bookings, asked once: a hall without any has no 预约 section.
let bookable = null;
async function loadBookable() {
  if (bookable) return;
  bookable = (await Staff.api("GET", "/api/booking/services")).services.map((s) => ({ code: s.code, name: s.name }));
  $("bookings-card").classList.toggle("hidden", !bookable.length);
}

async function refreshBookings() {
  await loadBookable();
  const date = bookingDate();
  if (!date || !bookable.length) return;
  const day = await Staff.api("GET", `/api/admin/bookings?date=${encodeURIComponent(date)}`);
  if (date !== bookingDate()) return;  // the picker moved on meanwhile
  if (bookingLoaded !== date) {
    bookingLoaded = date;
    for (const id of [...bookingPhones.keys()]) hideBookingPhone(id);
  }
  renderBookings({ ...day, date: isoDay(day.date) || date, services: byService(day.slots || []) });
}

// The day's slots come in one list, each naming its service: grouped here, in the server's order.
function byService(slots) {
  const services = new Map();
  for (const t of slots) {
    if (!services.has(t.service)) services.set(t.service, { code: t.service, name: t.service_name, slots: [] });
    services.get(t.service).slots.push(t);
  }
  return [...services.values()];
}

$("bookings-date").addEventListener("change", () => {
  if (!$("bookings-date").value) $("bookings-date").value = bookingToday;
  unblocking = null;
  guarded(refreshBookings);
});
$("bookings-today").addEventListener("click", () => {
  $("bookings-date").value = bookingToday;
  guarded(refreshBookings);
});

async function refresh() {
  const [o, n] = await Promise.all([Staff.api("GET", "/api/admin/overview"), Staff.api("GET", "/api/notifier")]);
  zone = o.timezone;
  serverSkew = Date.parse(o.at) - Date.now();
  $("clock").textContent = `营业日 ${o.business_day} · 更新于 ${time(o.at)}`;
  windowFlags = {};
  for (const a of o.alerts) {
    if (a.window && windowFlags[a.window] !== "urgent") windowFlags[a.window] = a.level;
  }
  hallAlerts = o.alerts;
  renderNotify(n);
  renderAlerts([...hallAlerts, ...notifyAlerts]);
  windows = o.windows;
  if (confirming && !windows.some((w) => w.number === confirming.window && w.status !== "closed")) confirming = null;
  renderWindows();
  await loadCatalogue();
  renderTidal();

  const waiting = o.services.filter((s) => s.waiting > 0).sort((a, b) => b.longest_wait_s - a.longest_wait_s);
  $("waiting-total").textContent = waiting.reduce((n, s) => n + s.waiting, 0);
  $("services").replaceChildren(...(waiting.length
    ? waiting.map((s) => { const r = row(s.name, s.waiting, dur(s.longest_wait_s)); r.dataset.service = s.code; return r; })
    : [row("目前无人等候", "", "")]));
  $("faults").replaceChildren(...(o.faults.length
    ? o.faults.map((f) => { const r = row(f.what, f.state_label, time(f.since)); r.className = "fault-row"; return r; })
    : [row("设备正常", "", "")]));
  patch($("followups"), o.followups, (f) => f.id, (f) => JSON.stringify(f), followupItem,
    () => el("p", { class: "empty calm" }, "没有待办的差评跟进"));
  if (!noticesDirty && document.activeElement !== $("notices")) $("notices").value = o.notices.join("\n");
  $("today-services").replaceChildren(...o.today.services.map((r) => row(r.name, r.issued, r.served, r.no_show,
    dur(r.avg_wait_s), dur(r.max_wait_s), dur(r.avg_service_s), ratingText(r))));
  $("today-windows").replaceChildren(...o.today.windows.map((r) => row(r.name, r.issued, r.served, r.no_show,
    dur(r.avg_wait_s), dur(r.max_wait_s), dur(r.avg_service_s), ratingText(r))));
  if (bookingToday !== o.business_day) {
    // First load, or a new day: the picker follows today unless the manager chose another day.
    if (!$("bookings-date").value || $("bookings-date").value === bookingToday) $("bookings-date").value = o.business_day;
    bookingToday = o.business_day;
  }
  await refreshBookings();
}

$("notices").addEventListener("input", () => { noticesDirty = true; });
$("notices-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  guarded(async () => {
    await Staff.api("PUT", "/api/notices", { notices: $("notices").value.split("\n") });
    noticesDirty = false;
    show("通知已更新，综合屏即时显示", true);
  });
});
$("signout").addEventListener("click", () => guarded(async () => { await Staff.api("POST", "/api/logout"); signedOut(); }));

const live = () => Staff.token() && !$("view").classList.contains("hidden");
Staff.follow((msg) => {
  if (msg.type !== "event" || !live()) return;
  clearTimeout(refreshing);
  refreshing = setTimeout(() => guarded(refresh), 300);  // a burst of events, one refresh
}, (ok) => {
  $("link").className = ok ? "link" : "link lost";
  $("link").textContent = ok ? "● 实时" : "连接中断，正在重连…";
});
setInterval(() => { if (live()) guarded(refresh); }, POLL_MS);
setInterval(() => { if (live() && zone) guarded(refreshNotify); }, NOTIFY_POLL_MS);

if (Staff.token()) start();

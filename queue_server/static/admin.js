// The hall manager's live view (/admin): refreshed whenever the event stream reports a change.
"use strict";

const $ = (id) => document.getElementById(id);
const STATUS = { open: "办理中", paused: "暂停服务", closed: "未开放" };
const row = (...cells) => Staff.el("tr", {}, ...cells.map((c) => (c instanceof Node ? c : Staff.el("td", {}, c ?? "—"))));
let zone;  // the hall's time zone, whatever this PC's is
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: zone }) : "—");
const dur = (s) => (s == null ? "—" : Staff.duration(s));
let refreshing = null;

function show(text, ok = false) {
  $("message").textContent = text;
  $("message").className = `message ${ok ? "ok" : "error"}`;
}

async function guarded(action) {
  try { await action(); } catch (e) {
    if (e.status === 401 || e.status === 403) { signedOut(e.message); return; }
    show(e.message);
  }
}

function signedOut(reason) {
  Staff.signOut();
  $("view").classList.add("hidden");
  $("signout").classList.add("hidden");
  $("login").classList.remove("hidden");
  if (reason) { $("login-error").textContent = reason; $("login-error").classList.remove("hidden"); }
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const r = await Staff.api("POST", "/api/login", { login: $("login-name").value.trim(),
                                                      password: $("login-password").value }, null);
    if (!["manager", "admin"].includes(r.role)) throw new Error("此页面供大厅管理人员使用，该账号无权进入");
    Staff.signIn(r.token);
    $("login-password").value = "";
    start();
  } catch (e) {
    $("login-error").textContent = e.message;
    $("login-error").classList.remove("hidden");
  }
});

function start() {
  $("login").classList.add("hidden");
  $("login-error").classList.add("hidden");
  $("view").classList.remove("hidden");
  $("signout").classList.remove("hidden");
  guarded(refresh);
}

function ratingText(r) {
  return r.ratings ? `${r.ratings} 条，均分 ${r.avg_rating}${r.low_ratings ? `，差评 ${r.low_ratings}` : ""}` : "—";
}

async function refresh() {
  const o = await Staff.api("GET", "/api/admin/overview");
  zone = o.timezone;
  $("clock").textContent = `营业日 ${o.business_day} · 更新于 ${time(o.at)}`;
  $("windows").replaceChildren(...o.windows.map((w) => row(`${w.number} ${w.name}`,
    Staff.el("td", { class: w.status }, STATUS[w.status]), w.clerk, w.ticket, time(w.since))));
  const waiting = o.services.filter((s) => s.waiting > 0).sort((a, b) => b.longest_wait_s - a.longest_wait_s);
  $("waiting-total").textContent = waiting.reduce((n, s) => n + s.waiting, 0);
  $("services").replaceChildren(...(waiting.length ? waiting.map((s) => row(s.name, s.waiting, dur(s.longest_wait_s)))
                                                     : [row("目前无人等候", "", "")]));
  $("faults").replaceChildren(...(o.faults.length ? o.faults.map((f) => row(f.device, f.component, f.message || f.state, time(f.since)))
                                                  : [row("设备正常", "", "", "")]));
  $("followups").replaceChildren(...(o.followups.length ? o.followups.map(followupItem) : [Staff.el("p", {}, "没有待办的差评跟进")]));
  if (document.activeElement !== $("notices")) $("notices").value = o.notices.join("\n");
  $("today-services").replaceChildren(...o.today.services.map((r) => row(r.name, r.issued, r.served, r.no_show,
    dur(r.avg_wait_s), dur(r.max_wait_s), dur(r.avg_service_s), ratingText(r))));
  $("today-windows").replaceChildren(...o.today.windows.map((r) => row(r.name, r.issued, r.served, r.no_show,
    dur(r.avg_wait_s), dur(r.max_wait_s), dur(r.avg_service_s), ratingText(r))));
}

function followupItem(f) {
  const input = Staff.el("input", { placeholder: "整改情况（必填）", required: "" });
  const form = Staff.el("form", { onsubmit: (ev) => { ev.preventDefault(); guarded(async () => {
    await Staff.api("POST", `/api/followups/${f.id}/close`, { resolution: input.value.trim() });
    show(`已办结 ${f.number} 号的差评跟进`, true);
    await refresh();
  }); } }, input, Staff.el("button", { class: "primary", type: "submit" }, "办结"));
  return Staff.el("div", { class: "followup", "data-followup": f.id },
    Staff.el("div", {}, `${f.number} 号 · ${f.window} 号窗口${f.clerk ? `（${f.clerk}）` : ""} · ${f.level_label}`
      + (f.reasons.length ? ` · ${f.reasons.join("、")}` : "")),
    Staff.el("div", { class: "due" }, `开于 ${new Date(f.opened_at).toLocaleString("zh-CN", { hour12: false, timeZone: zone })}，限 ${f.due} 前办结`),
    form);
}

$("notices-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  guarded(async () => {
    await Staff.api("PUT", "/api/notices", { notices: $("notices").value.split("\n") });
    show("通知已更新，综合屏即时显示", true);
  });
});
$("signout").addEventListener("click", () => guarded(async () => { await Staff.api("POST", "/api/logout"); signedOut(); }));

Staff.follow((msg) => {
  if (msg.type !== "event" || !Staff.token() || $("view").classList.contains("hidden")) return;
  clearTimeout(refreshing);
  refreshing = setTimeout(() => guarded(refresh), 300);  // a burst of events, one refresh
}, (ok) => {
  $("link").className = ok ? "link" : "link lost";
  $("link").textContent = ok ? "● 实时" : "连接中断，正在重连…";
});

if (Staff.token()) start();

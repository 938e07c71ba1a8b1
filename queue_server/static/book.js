// 预约取号 on the visitor's phone (/book, and /book/CODE for one booking): choose a service, a
// day and a slot, leave a name and a mobile number, and get an 8-character code and its QR for
// the kiosk; look a booking up and cancel it. Over the public booking API (docs/bookings.md).
//
// Plain script for old phone browsers too (WeChat's built-in one): fetch and async functions,
// no modules, no newer syntax (no ?. or ??), nothing from outside this server.
"use strict";

(function () {
  const KEEP_DAYS = 30;          // 个人信息 kept this long after the slot, unless the API says otherwise
  const CODE_LETTERS = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/;
  const WEEKDAYS = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
  const STATUS = {
    booked: "已预约",
    active: "已预约",
    checked_in: "已签到",
    used: "已签到",
    cancelled: "已取消",
    canceled: "已取消",
    missed: "已过期未到",
    expired: "已过期未到",
    no_show: "已过期未到",
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    services: null,      // the answer of /api/booking/services, its list
    answer: null,        // ... and the whole answer (keep_days, sms, hall when it says them)
    service: null,
    day: null,
    slot: null,
    step: "service",
    retry: null,         // what the 重试 button does after the server went away
    found: null,         // the booking shown under 我的预约, and the phone it was found with
    foundPhone: "",
  };

  // ------------------------------------------------------------ small helpers

  function show(el, on) {
    if (typeof el === "string") el = $(el);
    if (on) el.removeAttribute("hidden"); else el.setAttribute("hidden", "");
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function setText(id, text) {
    $(id).textContent = text || "";
  }

  // "2026-11-26" or "2026-11-26T09:00:00+08:00": the date as written, in the hall's time.
  function dateParts(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || "");
    return m ? { y: +m[1], m: +m[2], d: +m[3] } : null;
  }

  function weekdayOf(s) {
    const p = dateParts(s);
    return p ? WEEKDAYS[new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay()] : "";
  }

  function dayLabel(s, withYear) {
    const p = dateParts(s);
    if (!p) return s || "";
    return (withYear ? p.y + "年" : "") + p.m + "月" + p.d + "日";
  }

  function longDay(s) {
    return dayLabel(s) + " " + weekdayOf(s);
  }

  // "…T09:00:00+08:00" → "09:00" (the hall's time, whatever the phone's zone).
  function clock(s) {
    const m = /T(\d{2}):(\d{2})/.exec(s || "");
    return m ? m[1] + ":" + m[2] : "";
  }

  function todayInHall() {
    // The hall is in China; the phone's own clock and zone are only a hint for "今天".
    const now = new Date(Date.now() + 8 * 3600 * 1000);
    const pad = (n) => (n < 10 ? "0" : "") + n;
    return now.getUTCFullYear() + "-" + pad(now.getUTCMonth() + 1) + "-" + pad(now.getUTCDate());
  }

  function listOf(answer, key) {
    if (Array.isArray(answer)) return answer;
    return (answer && answer[key]) || [];
  }

  function phoneDigits(value) {
    let s = (value || "").replace(/[\s\-()（）]/g, "");
    if (/^\+?86\d{11}$/.test(s)) s = s.replace(/^\+?86/, "");
    return s;
  }

  function normalCode(value) {
    let s = (value || "").toUpperCase().replace(/[\s\-]/g, "");
    if (s.indexOf("HQB:") === 0) s = s.slice(4);
    return s;
  }

  // ------------------------------------------------------------ talking to the server

  async function api(method, path, body) {
    const options = { method: method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, options);
    } catch (e) {
      const err = new Error("offline");
      err.code = "offline";
      err.status = 0;
      throw err;
    }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (resp.ok) return data;
    const error = (data && data.error) || {};
    const err = new Error(error.message || String(resp.status));
    err.status = resp.status;
    err.code = error.code || (resp.status >= 500 ? "server" : "http");
    err.serverMessage = error.message || "";
    err.details = error.details || {};
    err.field = error.field || err.details.field || "";
    err.retryAfter = parseInt(resp.headers.get("Retry-After") || "", 10);
    if (!error.code && (resp.status === 502 || resp.status === 503 || resp.status === 504)) err.code = "offline";
    return Promise.reject(err);
  }

  function away(err) {
    return err.code === "offline" || err.code === "server" || err.code === "internal_error" ||
      err.code === "store_unavailable" || err.status >= 500;
  }

  // Every refusal in plain Chinese.
  function explain(err) {
    const d = err.details || {};
    switch (err.code) {
      case "offline":
        return "连不上服务器，请检查手机网络后点“重试”。";
      case "booking_rate_limited":
      case "rate_limited":
        return err.retryAfter > 0
          ? "操作太频繁了，请等 " + err.retryAfter + " 秒后再试。"
          : "操作太频繁了，请等一分钟后再试。";
      case "slot_full":
        return "您选的时段刚刚被别人约满了，请重新选择一个时段。";
      case "slot_unavailable":
        return "这个时段已经不能预约了（可能已过时或暂停预约），请重新选择。";
      case "already_booked":
        return "您这一天已经预约过这项业务了（同一手机号或身份证号，每天每项业务只能预约一次）。" +
          "可以在“我的预约”里查看或取消原来的预约。";
      case "booking_blocked": {
        const until = d.until || err.until;
        return "由于多次预约后没有到场，这个手机号" + (until ? "在" + dayLabel(until, true) + "之前" : "暂时") +
          "不能预约。您仍可到大厅直接取号，有疑问请问大厅咨询台。";
      }
      case "unknown_booking":
        return "没有找到这个预约，请核对预约码和手机号码。";
      case "booking_over":
        return "这个预约已经使用、过期或取消，不能再取消了。";
      case "not_bookable":
      case "unknown_service":
        return "这项业务现在不接受预约，请重新选择业务。";
      default:
        if (err.status >= 500 || err.code === "server") return "服务器暂时出了问题，请稍后点“重试”。";
        return err.serverMessage || "出了点问题，请稍后再试。";
    }
  }

  // The banner at the top: a problem, and (when the server went away) the 重试 button.
  function problem(err, retry) {
    if (!err) {
      show("problem", false);
      state.retry = null;
      return;
    }
    setText("problem-text", typeof err === "string" ? err : explain(err));
    state.retry = err.code && away(err) ? retry || null : null;
    show("problem-retry", !!state.retry);
    show("problem", true);
    window.scrollTo(0, 0);
  }

  // ------------------------------------------------------------ the steps

  const STEPS = ["service", "day", "slot", "form", "done"];

  function goStep(step, push) {
    state.step = step;
    for (let i = 0; i < STEPS.length; i++) show("step-" + STEPS[i], STEPS[i] === step);
    const at = STEPS.indexOf(step);
    const items = $("steps").children;
    for (let j = 0; j < items.length; j++) {
      const n = STEPS.indexOf(items[j].getAttribute("data-step"));
      items[j].className = n === at ? "current" : n < at ? "past" : "";
      if (n === at) items[j].setAttribute("aria-current", "step"); else items[j].removeAttribute("aria-current");
    }
    show("steps", step !== "done");
    window.scrollTo(0, 0);
    if (push && window.history && history.pushState) {
      try { history.pushState({ view: "book", step: step }, "", "/book"); } catch (e) { /* file: or old browser */ }
    }
  }

  function serviceLine(s) {
    return s.name + (s.department_name ? "（" + s.department_name + "）" : "");
  }

  function findService(code) {
    const list = state.services || [];
    for (let i = 0; i < list.length; i++) if (list[i].code === code) return list[i];
    return null;
  }

  async function loadServices() {
    show("services-loading", true);
    try {
      const answer = await api("GET", "/api/booking/services");
      state.answer = answer;
      state.services = listOf(answer, "services");
      problem(null);
      renderServices();
      applyRules(answer);
      if (state.service) state.service = findService(state.service.code);
    } catch (err) {
      problem(err, loadServices);
    } finally {
      show("services-loading", false);
    }
  }

  function applyRules(answer) {
    const rules = (answer && !Array.isArray(answer) && (answer.rules || answer)) || {};
    const keep = parseInt(rules.keep_days, 10);
    setText("keep-days", String(keep > 0 ? keep : KEEP_DAYS));
  }

  // The hall's name for the header, from its public service list (as the guide page does).
  async function loadHallName() {
    try {
      const answer = await api("GET", "/api/services");
      if (answer && answer.hall && answer.hall.name) showHall(answer.hall.name);
    } catch (e) { /* the header stays plain: nothing else depends on it */ }
  }

  function showHall(name) {
    setText("hall", name);
    document.title = "预约取号 · " + name;
  }

  function renderServices() {
    const list = $("services");
    clear(list);
    const services = state.services || [];
    for (let i = 0; i < services.length; i++) {
      const s = services[i];
      const b = el("button", "choice");
      b.type = "button";
      b.setAttribute("data-service", s.code);
      b.appendChild(el("span", "name", s.name));
      const dept = s.department_name || s.department;
      if (dept) b.appendChild(el("span", "sub", dept));
      const hours = typeof s.hours === "string" ? s.hours : "";
      if (hours) b.appendChild(el("span", "sub", "办理时间：" + hours));
      const open = daysOf(s).filter((d) => bookableDay(d)).length;
      b.appendChild(el("span", open ? "free" : "full", open ? "近期 " + open + " 天可约" : "近期已约满"));
      b.addEventListener("click", () => chooseService(s.code));
      const li = el("li");
      li.appendChild(b);
      list.appendChild(li);
    }
    show("services-none", services.length === 0);
  }

  function daysOf(s) {
    return (s && (s.days || s.dates)) || [];
  }

  // "12月4日 周五（春节）": a holiday's name, said where the day is closed.
  function holidayOf(d) {
    const m = /（([^）]+)）/.exec(d.label || "");
    return m ? m[1] + "休息" : "";
  }

  function bookableDay(d) {
    return d.open !== false && (d.free === undefined || d.free > 0);
  }

  function chooseService(code, noPush) {
    const s = findService(code);
    if (!s) return;
    state.service = s;
    state.day = null;
    state.slot = null;
    setText("day-service", serviceLine(s));
    renderDays();
    goStep("day", !noPush);
  }

  function renderDays() {
    const list = $("days");
    clear(list);
    const days = daysOf(state.service);
    const today = (state.answer && state.answer.today) || todayInHall();
    let any = false;
    for (let i = 0; i < days.length; i++) {
      const d = days[i];
      const ok = bookableDay(d);
      any = any || ok;
      const b = el("button", "day" + (ok ? "" : " off"));
      b.type = "button";
      b.setAttribute("data-date", d.date);
      b.disabled = !ok;
      b.appendChild(el("span", "date", dayLabel(d.date)));
      const wd = typeof d.weekday === "string" && d.weekday.indexOf("周") === 0 ? d.weekday : weekdayOf(d.date);
      b.appendChild(el("span", "weekday", (d.date === today ? "今天 " : "") + wd));
      let why;
      if (d.open === false) why = holidayOf(d) || "休息";
      else if (!ok) why = d.date === today ? "今天已约完" : "已约满";
      else why = d.free !== undefined ? "可约 " + d.free + " 个" : "可预约";
      b.appendChild(el("span", ok ? "free" : "why", why));
      b.addEventListener("click", () => chooseDay(d.date));
      const li = el("li");
      li.appendChild(b);
      list.appendChild(li);
    }
    show("days-none", !any);
  }

  function chooseDay(date, noPush) {
    state.day = date;
    state.slot = null;
    setText("slot-chosen", serviceLine(state.service) + "\n" + longDay(date));
    clear($("slots"));
    show("slots-message", false);
    goStep("slot", !noPush);
    loadSlots();
  }

  async function loadSlots(message) {
    const service = state.service;
    const date = state.day;
    if (!service || !date) return;
    show("slots-loading", true);
    show("slots-none", false);
    try {
      const path = "/api/booking/slots?service=" + encodeURIComponent(service.code) + "&date=" + encodeURIComponent(date);
      const answer = await api("GET", path);
      if (state.service !== service || state.day !== date) return;   // the visitor moved on
      problem(null);
      renderSlots(listOf(answer, "slots"));
      if (message) {
        setText("slots-message", message);
        show("slots-message", true);
      }
    } catch (err) {
      problem(err, () => loadSlots(message));
    } finally {
      show("slots-loading", false);
    }
  }

  function slotLabel(s) {
    return s.label || clock(s.start) + "-" + clock(s.end);
  }

  function renderSlots(slots) {
    const list = $("slots");
    clear(list);
    let any = false;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const ok = s.bookable !== false && !s.blocked && s.free > 0;
      any = any || ok;
      const b = el("button", "slot" + (ok ? "" : " off"));
      b.type = "button";
      b.setAttribute("data-start", s.start);
      b.disabled = !ok;
      b.appendChild(el("span", "time", slotLabel(s)));
      let why;
      if (ok) why = "余 " + s.free + " 个";
      else if (s.blocked) why = "暂停预约";
      else if (s.past) why = "已过时";
      else if (s.free <= 0) why = "已约满";
      else why = "不可预约";
      b.appendChild(el("span", ok ? "free" : "why", why));
      b.addEventListener("click", () => chooseSlot(s));
      const li = el("li");
      li.appendChild(b);
      list.appendChild(li);
    }
    show("slots-none", !any);
  }

  function chooseSlot(slot, noPush) {
    state.slot = slot;
    setText("form-chosen", serviceLine(state.service) + "\n" + longDay(state.day) + " " + slotLabel(slot));
    clearFieldErrors();
    goStep("form", !noPush);
  }

  // ------------------------------------------------------------ 填写信息

  const FIELDS = ["name", "phone", "id_number", "agree", "form"];

  function clearFieldErrors() {
    for (let i = 0; i < FIELDS.length; i++) fieldError(FIELDS[i], "");
    show("form-mine", false);
  }

  function fieldError(field, message) {
    const box = $(field + "-error");
    if (!box) return false;
    box.textContent = message || "";
    const input = $(field);
    if (input && input.tagName === "INPUT") {
      if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
    return true;
  }

  function checkForm() {
    clearFieldErrors();
    const name = $("name").value.replace(/^\s+|\s+$/g, "");
    const phone = phoneDigits($("phone").value);
    const id = $("id_number").value.replace(/\s/g, "").toUpperCase();
    let first = null;
    const bad = (field, message) => {
      fieldError(field, message);
      if (!first) first = field;
    };
    if (!name) bad("name", "请填写姓名");
    if (!phone) bad("phone", "请填写手机号码");
    else if (!/^\d{11}$/.test(phone)) bad("phone", "请填写 11 位手机号码，如 13812345678");
    if (id && !/^(\d{15}|\d{17}[\dX])$/.test(id)) bad("id_number", "身份证号应为 18 位（最后一位可以是 X），不想填可以留空");
    if (!$("agree").checked) bad("agree", "请先阅读并勾选同意个人信息说明");
    if (first) {
      const input = $(first);
      if (input && input.focus) input.focus();
      return null;
    }
    const body = { service: state.service.code, slot_start: state.slot.start, name: name, phone: phone };
    if (id) body.id_number = id;
    return body;
  }

  async function submit(e) {
    if (e) e.preventDefault();
    const body = checkForm();
    if (!body) return;
    const button = $("submit");
    button.disabled = true;
    button.textContent = "正在提交…";
    try {
      const booking = await api("POST", "/api/bookings", body);
      problem(null);
      showDone(booking, body);
    } catch (err) {
      refused(err);
    } finally {
      button.disabled = false;
      button.textContent = "确认预约";
    }
  }

  function refused(err) {
    if (err.status === 422 && err.field && fieldError(err.field, err.serverMessage || explain(err))) {
      const input = $(err.field);
      if (input && input.focus) input.focus();
      return;
    }
    if (err.code === "invalid_phone") return fieldError("phone", err.serverMessage || "手机号码不正确");
    if (err.code === "invalid_name") return fieldError("name", err.serverMessage || "姓名不正确");
    if (err.code === "invalid_id_number") return fieldError("id_number", err.serverMessage || "身份证号不正确");
    if (err.code === "slot_full" || err.code === "slot_unavailable") {
      // Back to the slots, fresh from the server, with why.
      goStep("slot", true);
      loadSlots(explain(err));
      return;
    }
    if (err.code === "not_bookable" || err.code === "unknown_service") {
      problem(err);
      state.service = null;
      goStep("service", true);
      loadServices();
      return;
    }
    if (away(err)) {
      problem(err, submit);
      return;
    }
    if (err.code === "already_booked") show("form-mine", true);

    fieldError("form", explain(err));
  }

  function checkInText(b) {
    const date = b.slot_start || "";
    const from = clock(b.check_in_from);
    const until = clock(b.check_in_until);
    let s = "请于 " + longDay(date) + " " + clock(b.slot_start) + " 前后到大厅取号机扫码或输入预约码取号";
    s += "。";
    if (from && until) s += "\n" + from + " 至 " + until + " 之间取号，按预约优先叫号。";
    return s;
  }

  function smsText(b) {
    const answer = state.answer || {};
    const sends = b.sms !== undefined ? b.sms : b.sms_sent !== undefined ? b.sms_sent : answer.sms;
    if (sends === true) return "确认短信已发往您的手机。请注意查收，并截屏保存本页。";
    if (sends === false) return "本大厅不发送短信通知，请截屏保存本页或记下预约码。";
    return "如本大厅开通了短信通知，您还会收到一条确认短信。请截屏保存本页或记下预约码。";
  }

  // The QR from this server (the page's policy allows images from nowhere else): the answer's
  // qr_url names the hall's public address, which may not be the one this page came from.
  function qrUrl(b) {
    const own = "/api/bookings/" + encodeURIComponent(b.code) + "/qr.svg";
    if (!b.qr_url) return own;
    try {
      const u = new URL(b.qr_url, location.href);
      return u.origin === location.origin ? u.href : u.pathname;
    } catch (e) {
      return own;
    }
  }

  function serviceName(b) {
    if (b.service_name) return b.service_name;
    const s = findService(b.service);
    return s ? s.name : b.service || "";
  }

  function timeRange(b) {
    const a = clock(b.slot_start);
    const z = clock(b.slot_end);
    return a + (z ? "-" + z : "");
  }

  function showDone(b, sent) {
    state.done = { code: b.code, phone: sent.phone };
    setText("done-code", b.code);
    setText("done-service", serviceName(b));
    setText("done-date", longDay(b.slot_start));
    setText("done-time", timeRange(b));
    setText("done-name", b.name || sent.name);
    setText("done-phone", b.phone || sent.phone);
    setText("done-checkin", checkInText(b));
    setText("done-sms", smsText(b));
    $("done-qr").src = qrUrl(b);
    $("done-link").href = "/book/" + encodeURIComponent(b.code);
    show("done-save-hint", false);
    $("form").reset();
    goStep("done", true);
    document.title = "预约成功 " + b.code;
  }

  // ------------------------------------------------------------ 我的预约

  function showView(view) {
    show("book-view", view === "book");
    show("mine-view", view === "mine");
    $("tab-book").setAttribute("aria-pressed", String(view === "book"));
    $("tab-mine").setAttribute("aria-pressed", String(view === "mine"));
    problem(null);
    window.scrollTo(0, 0);
  }

  function openBook(push) {
    showView("book");
    if (!state.services) loadServices();
    goStep(state.step === "done" ? "service" : state.step || "service", false);
    if (push && window.history && history.pushState) {
      try { history.pushState({ view: "book", step: state.step }, "", "/book"); } catch (e) { /* ignore */ }
    }
  }

  function openMine(code, phone, push) {
    showView("mine");
    if (code) $("lookup-code").value = code;
    if (phone) $("lookup-phone").value = phone;
    if (push && window.history && history.pushState) {
      const path = code ? "/book/" + encodeURIComponent(code) : "/book";
      try { history.pushState({ view: "mine" }, "", path); } catch (e) { /* ignore */ }
    }
    if (code && phone) lookup();
    else if (code) $("lookup-phone").focus();
  }

  function lookupErrors(code, phone) {
    for (const f of ["lookup-code", "lookup-phone", "lookup"]) fieldError(f, "");
    let ok = true;
    if (!code) { fieldError("lookup-code", "请填写预约码"); ok = false; }
    else if (!CODE_LETTERS.test(code)) { fieldError("lookup-code", "预约码是 8 位字母和数字，请核对"); ok = false; }
    if (!phone) { fieldError("lookup-phone", "请填写预约时留的手机号码"); ok = false; }
    else if (!/^\d{11}$/.test(phone)) { fieldError("lookup-phone", "请填写 11 位手机号码"); ok = false; }
    return ok;
  }

  async function lookup(e) {
    if (e) e.preventDefault();
    const code = normalCode($("lookup-code").value);
    const phone = phoneDigits($("lookup-phone").value);
    $("lookup-code").value = code;
    if (!lookupErrors(code, phone)) return;
    const button = $("lookup-send");
    button.disabled = true;
    try {
      const b = await api("GET", "/api/bookings/" + encodeURIComponent(code) + "?phone=" + encodeURIComponent(phone));
      problem(null);
      showFound(b, phone, "");
    } catch (err) {
      show("found", false);
      if (away(err)) problem(err, lookup);
      else if (err.status === 422 && err.field === "phone") fieldError("lookup-phone", err.serverMessage);
      else fieldError("lookup", explain(err));
    } finally {
      button.disabled = false;
    }
  }

  function statusText(status) {
    return STATUS[status] || status || "";
  }

  function isActive(b) {
    return b.status === "booked" || b.status === "active";
  }

  function showFound(b, phone, message) {
    state.found = b;
    state.foundPhone = phone;
    const found = $("found");
    found.className = "step status-" + (b.status || "unknown");
    setText("found-status", statusText(b.status));
    setText("found-code", b.code);
    setText("found-service", serviceName(b));
    setText("found-date", longDay(b.slot_start));
    setText("found-time", timeRange(b));
    setText("found-name", b.name || "");
    setText("found-phone", b.phone || phone);
    const active = isActive(b);
    if (active) setText("found-checkin", checkInText(b));
    show("found-checkin", active);
    if (active) $("found-qr").src = qrUrl(b);
    show("found-qr", active);
    setText("found-message", message);
    show("found-message", !!message);
    show("cancel", active);
    show("confirm", false);
    setText("cancel-error", "");
    show(found, true);
    if (found.scrollIntoView) found.scrollIntoView();
  }

  async function cancelBooking() {
    const b = state.found;
    if (!b) return;
    const yes = $("confirm-yes");
    yes.disabled = true;
    try {
      const answer = await api("POST", "/api/bookings/" + encodeURIComponent(b.code) + "/cancel", { phone: state.foundPhone });
      problem(null);
      const cancelled = answer && answer.code ? answer : Object.assign({}, b, { status: "cancelled" });
      showFound(cancelled, state.foundPhone, "已取消预约，名额已让出。需要时可以重新预约。");
    } catch (err) {
      show("confirm", false);
      show("cancel", true);
      if (away(err)) problem(err, cancelBooking);
      else setText("cancel-error", explain(err));
    } finally {
      yes.disabled = false;
    }
  }

  // ------------------------------------------------------------ wiring

  function wire() {
    $("tab-book").addEventListener("click", () => openBook(true));
    $("tab-mine").addEventListener("click", () => openMine("", "", true));
    $("problem-retry").addEventListener("click", () => {
      const retry = state.retry;
      show("problem", false);
      if (retry) retry();
    });
    $("form-mine").addEventListener("click", () => openMine("", phoneDigits($("phone").value), true));
    const backs = document.querySelectorAll("[data-back]");
    for (let i = 0; i < backs.length; i++) {
      backs[i].addEventListener("click", (e) => {
        const to = e.currentTarget.getAttribute("data-back");
        if (to === "slot") loadSlots();
        goStep(to, true);
      });
    }
    $("slots-refresh").addEventListener("click", () => {
      show("slots-message", false);
      loadSlots();
    });
    $("form").addEventListener("submit", submit);
    $("phone").addEventListener("input", () => fieldError("phone", ""));
    $("name").addEventListener("input", () => fieldError("name", ""));
    $("id_number").addEventListener("input", () => fieldError("id_number", ""));
    $("agree").addEventListener("change", () => fieldError("agree", ""));
    $("done-save").addEventListener("click", () => show("done-save-hint", true));
    $("done-link").addEventListener("click", (e) => {
      if (!state.done) return;
      e.preventDefault();
      openMine(state.done.code, state.done.phone, true);
    });
    $("done-again").addEventListener("click", () => {
      state.day = null;
      state.slot = null;
      goStep("service", true);
      loadServices();
    });
    $("lookup").addEventListener("submit", lookup);
    $("cancel").addEventListener("click", () => {
      show("cancel", false);
      show("confirm", true);
      setText("cancel-error", "");
    });
    $("confirm-no").addEventListener("click", () => {
      show("confirm", false);
      show("cancel", true);
    });
    $("confirm-yes").addEventListener("click", cancelBooking);
    // The phone's back button steps back through the page rather than leaving it.
    window.addEventListener("popstate", (e) => {
      const s = e.state || {};
      if (s.view === "mine") { showView("mine"); return; }
      showView("book");
      let step = s.step || "service";
      if (step === "done" && !state.done) step = "service";
      if ((step === "day" || step === "slot" || step === "form") && !state.service) step = "service";
      if ((step === "slot" || step === "form") && !state.day) step = "day";
      if (step === "form" && !state.slot) step = "slot";
      if (step === "slot") loadSlots();
      if (!state.services) loadServices();
      goStep(step, false);
    });
  }

  function start() {
    wire();
    loadHallName();
    const m = /^\/book\/([A-Za-z0-9]{8})\/?$/.exec(location.pathname);
    if (m) {
      state.step = "service";
      goStep("service", false);
      openMine(normalCode(m[1]), "", false);
      try { history.replaceState({ view: "mine" }, "", location.pathname); } catch (e) { /* ignore */ }
    } else {
      goStep("service", false);
      try { history.replaceState({ view: "book", step: "service" }, "", location.pathname); } catch (e) { /* ignore */ }
      loadServices();
    }
  }

  start();
})();

// The ticket page on the visitor's phone (/t/CODE): keeps the page the server rendered live.
//
// Pushes come over Server-Sent Events (/api/t/CODE/events); when they are silent for a while, or
// the browser has no EventSource, the page polls /api/t/CODE instead, and it asks again whenever
// the phone wakes the page. When it is nearly the visitor's turn (快到您了) and when they are
// called, the phone vibrates, chimes and flashes its title. After 办结 it offers 扫码评价.
//
// Written for old phone browsers too (WeChat's built-in one included): ES5, XMLHttpRequest, no
// modules; every newer API is checked before use.
(function () {
  "use strict";

  var POLL_MS = 5000;          // the poll when there is no push
  var SILENT_MS = 50000;       // pushes ping every 15 s: this long without one, the page polls
  var FLASH_MS = 60000;        // the title flashes this long, or until the visitor looks
  var body = document.body;
  var code = body.getAttribute("data-code");
  if (!code) return;           // an unknown ticket: the page says so, nothing to follow

  var shown = {
    seq: parseInt(body.getAttribute("data-seq"), 10) || 0,
    status: body.getAttribute("data-status"),
    soon: body.getAttribute("data-soon") === "1",
    calls: parseInt(body.getAttribute("data-calls"), 10) || 0,
    canRate: body.getAttribute("data-can-rate") === "1",
    rated: body.getAttribute("data-rated") === "1"
  };
  var source = null;
  var heard = new Date().getTime();
  var over = false;            // nothing will change any more: stop listening
  var title = document.title;
  var flashTimer = null;

  function $(id) { return document.getElementById(id); }

  function show(el, on) {
    if (on) el.removeAttribute("hidden"); else el.setAttribute("hidden", "");
  }

  function text(id, value) {
    var el = $(id);
    el.textContent = value || "";
    show(el, !!value);
  }

  function fill(listId, items, line) {
    var list = $(listId);
    while (list.firstChild) list.removeChild(list.firstChild);
    for (var i = 0; i < items.length; i++) list.appendChild(line(items[i]));
  }

  function item(label, value) {
    var li = document.createElement("li");
    var span = document.createElement("span");
    var b = document.createElement("b");
    span.textContent = label;
    b.textContent = value;
    li.appendChild(span);
    li.appendChild(b);
    return li;
  }

  function render(v) {
    var main = $("ticket");
    main.className = "status-" + v.status + (v.soon ? " soon" : "");
    $("number").textContent = v.number;
    var names = [];
    for (var i = 0; i < v.services.length; i++) names.push(v.services[i].name);
    $("service").textContent = names.join(" + ");
    text("headline", v.headline);
    text("detail", v.detail);
    text("advice", v.advice);
    fill("serving", v.serving, function (s) { return item(s.window + " 号窗口", s.text); });
    show($("serving-box"), v.serving.length > 0);
    fill("linked", v.linked, function (t) { return item(t.number + " " + t.service_name, t.text); });
    show($("linked-box"), v.linked.length > 0);
    show($("rate-box"), v.can_rate);
    show($("rated"), v.rated);
    show($("alerts-box"), v.status === "waiting" || v.status === "called");
    if ($("sms-box")) show($("sms-box"), v.status === "waiting" || v.status === "called");
  }

  // ---------------------------------------------------------------- alerting the visitor

  var audio = null;            // unlocked by a tap: browsers play sound only after one

  function enableAlerts() {
    try {
      audio = new Audio("/static/chime.wav");
      audio.volume = 0;        // a silent first play, inside the tap, unlocks later ones
      var played = audio.play();
      if (played && played["catch"]) played["catch"](function () {});
      if (navigator.vibrate) navigator.vibrate(1);
    } catch (e) {
      audio = null;            // no audio element here: vibration and the title still work
    }
    show($("alerts"), false);
    show($("alerts-on"), true);
  }

  function chime() {
    if (!audio) return;
    try {
      audio.pause();
      audio.currentTime = 0;
      audio.volume = 1;
      var played = audio.play();
      if (played && played["catch"]) played["catch"](function () {});
    } catch (e) { /* the browser refused the sound: vibration and the title remain */ }
  }

  function stopFlash() {
    if (flashTimer) { clearInterval(flashTimer); flashTimer = null; }
    document.title = title;
  }

  function flash(message) {
    stopFlash();
    var started = new Date().getTime();
    var on = false;
    flashTimer = setInterval(function () {
      on = !on;
      document.title = on ? "【" + message + "】" : title;
      if (new Date().getTime() - started > FLASH_MS) stopFlash();
    }, 1000);
  }

  function alertVisitor(message, pattern) {
    if (navigator.vibrate) {
      try { navigator.vibrate(pattern); } catch (e) { /* not allowed without a tap: the rest still happens */ }
    }
    chime();
    flash(message);
  }

  // ---------------------------------------------------------------- applying a view

  function apply(v, seq) {
    heard = new Date().getTime();
    if (seq <= shown.seq) return;   // older than what the page shows
    var called = v.status === "called" && (shown.status !== "called" || v.call_count > shown.calls);
    var soon = v.status === "waiting" && v.soon && !shown.soon;
    render(v);
    shown = { seq: seq, status: v.status, soon: v.soon, calls: v.call_count, canRate: v.can_rate, rated: v.rated };
    if (called) alertVisitor(v.headline, [400, 200, 400, 200, 800]);
    else if (soon) alertVisitor("快到您了", [300, 150, 300]);
    var ended = v.status === "cancelled" || v.status === "expired" || (v.status === "done" && !v.can_rate);
    if (ended) finish();
  }

  function finish() {
    over = true;
    if (source) { source.close(); source = null; }
  }

  function gone() {
    finish();
    text("headline", "没有找到这张号票");
    text("detail", "");
    text("advice", "请核对二维码，或到咨询台询问");
  }

  function request(method, url, data, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader("Accept", "application/json");
    if (data) xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      done(xhr.status, answer);
    };
    xhr.send(data ? JSON.stringify(data) : null);
  }

  function poll() {
    if (over) return;
    request("GET", "/api/t/" + code, null, function (status, v) {
      if (status === 200 && v) apply(v, v.seq);
      else if (status === 404) gone();
      // Anything else (the server restarting, the Wi-Fi gone): the next poll tries again.
    });
  }

  function listen() {
    if (!window.EventSource || over) return;
    source = new window.EventSource("/api/t/" + code + "/events");
    source.addEventListener("ticket", function (e) {
      var seq = parseInt(e.lastEventId, 10);
      apply(JSON.parse(e.data), isNaN(seq) ? shown.seq + 1 : seq);
    });
    source.addEventListener("ping", function () { heard = new Date().getTime(); });
    // On an error the browser reconnects by itself (after the server's retry); the poll below
    // covers the gap.
  }

  setInterval(function () {
    if (over) return;
    if (!source || new Date().getTime() - heard > SILENT_MS) poll();
  }, POLL_MS);

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { stopFlash(); poll(); }
  });
  window.addEventListener("focus", stopFlash);
  document.addEventListener("touchstart", stopFlash);

  // ---------------------------------------------------------------- 扫码评价

  var level = 0;

  function chosenReasons() {
    var boxes = document.getElementsByName("reason");
    var out = [];
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) out.push(boxes[i].value);
    return out;
  }

  function pick(button) {
    level = parseInt(button.getAttribute("data-level"), 10);
    var buttons = document.querySelectorAll(".levels .level");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].className = buttons[i].className.replace(" picked", "");
      buttons[i].setAttribute("aria-pressed", "false");
    }
    button.className += " picked";
    button.setAttribute("aria-pressed", "true");
    show($("low"), level <= 2);
    $("rate-send").disabled = false;
    $("rate-msg").textContent = "";
  }

  function sendRating() {
    var low = level <= 2;
    var data = { level: level, reasons: low ? chosenReasons() : [] };
    if (low && data.reasons.length === 0) {
      $("rate-msg").textContent = "请至少选择一个不满意的原因";
      return;
    }
    if (low) {
      var comment = $("comment").value.replace(/^\s+|\s+$/g, "");
      var phone = $("callback").value.replace(/[\s-]/g, "");
      if (comment) data.comment = comment;
      if (phone) data.phone = phone;
    }
    $("rate-send").disabled = true;
    request("POST", "/api/t/" + code + "/rating", data, function (status, answer) {
      if (status === 201) {
        show($("rate-box"), false);
        $("rated").textContent = answer && answer.followup
          ? "感谢您的评价，我们会在 15 个工作日内回访并告知整改情况"
          : "感谢您的评价";
        show($("rated"), true);
        finish();
        return;
      }
      $("rate-send").disabled = false;
      var error = answer && answer.error;
      $("rate-msg").textContent = error ? error.message : "网络不通，请稍后再试";
      if (error && (error.code === "already_rated" || error.code === "nothing_to_rate")) {
        show($("rate-send"), false);
      }
    });
  }

  var levels = document.querySelectorAll(".levels .level");
  for (var i = 0; i < levels.length; i++) {
    levels[i].addEventListener("click", function (e) { pick(e.currentTarget); });
  }
  var boxes = document.getElementsByName("reason");
  for (var j = 0; j < boxes.length; j++) {
    boxes[j].addEventListener("change", function () { $("rate-msg").textContent = ""; });
  }
  $("rate-send").addEventListener("click", sendRating);
  $("alerts").addEventListener("click", enableAlerts);

  // ---------------------------------------------------------------- 短信提醒

  function smsAnswer(status, answer) {
    var error = answer && answer.error;
    if (status === 200 && answer) {
      $("sms-phone").textContent = answer.phone;
      show($("sms-left"), true);
      show($("sms-form"), false);
      $("sms-msg").textContent = "";
    } else if (status === 204) {
      show($("sms-left"), false);
      show($("sms-form"), true);
      $("sms-msg").textContent = "已取消短信提醒，号码已删除";
    } else {
      $("sms-msg").textContent = error ? error.message : "网络不通，请稍后再试";
    }
  }

  if ($("sms-box")) {
    $("sms-send").addEventListener("click", function () {
      var phone = $("sms-input").value.replace(/[\s-]/g, "");
      if (!/^1[3-9][0-9]{9}$/.test(phone)) {
        $("sms-msg").textContent = "请填写 11 位手机号码，如 13812345678";
        return;
      }
      request("POST", "/api/t/" + code + "/sms", { phone: phone }, smsAnswer);
    });
    $("sms-drop").addEventListener("click", function () {
      request("DELETE", "/api/t/" + code + "/sms", null, smsAnswer);
    });
  }

  // ---------------------------------------------------------------- start

  // The server rendered the page; only what needs script is shown here.
  show($("rate-box"), shown.canRate);
  show($("alerts-box"), shown.status === "waiting" || shown.status === "called");
  listen();
  poll();
})();

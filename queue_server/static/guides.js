// 服务指南 for everyone (网上事项公示): search and browse the hall's guide items, and read one item
// with every field and fee. Public, no sign-in; the ticket's status page and the printed checklist
// (一次性告知单) link here. Plain links and no modern-only APIs: it works in WeChat's browser.
"use strict";

const $ = (id) => document.getElementById(id);
const LANGUAGES = ["zh", "en"];
const stored = (() => { try { return localStorage.getItem("hallqueue.lang"); } catch (e) { return null; } })();
const language = LANGUAGES.indexOf(stored) >= 0 ? stored : "zh";
let text = {};
let hallName = "";

function say(key, values) {
  let s = text[key] !== undefined ? text[key] : key;
  for (const name in values || {}) s = s.split(`{${name}}`).join(values[name]);
  return s;
}

function el(tag, cls, content) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (content !== undefined) e.textContent = content;
  return e;
}

async function getJson(path) {
  const resp = await fetch(path);
  if (!resp.ok) { const err = new Error(String(resp.status)); err.status = resp.status; throw err; }
  return resp.json();
}

// The kiosk's ranking (kiosk/search.py): name starts with it, contains it, a keyword, the
// service or department, then pinyin initials.
function rank(item, q) {
  const name = item.name.toLowerCase();
  if (name.indexOf(q) === 0) return 0;
  if (name.indexOf(q) >= 0) return 1;
  if ((item.keywords || []).some((k) => k.toLowerCase().indexOf(q) >= 0)) return 2;
  if ((item.service_name || "").indexOf(q) >= 0 || (item.department_name || "").indexOf(q) >= 0) return 3;
  if (/^[a-z]+$/.test(q)) {
    if ((item.initials || "").indexOf(q) === 0) return 4;
    if ((item.initials || "").indexOf(q) >= 0) return 5;
  }
  return null;
}

function search(items, query) {
  const q = query.replace(/\s+/g, "").toLowerCase();
  const ranked = [];
  items.forEach((item, position) => {
    const r = rank(item, q);
    if (r !== null) ranked.push([r, position, item]);
  });
  ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return ranked.map((r) => r[2]);
}

function applyText() {
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  for (const e of document.querySelectorAll("[data-text]")) e.textContent = say(e.dataset.text);
  for (const e of document.querySelectorAll("[data-placeholder]")) e.placeholder = say(e.dataset.placeholder);
  document.title = say("page_title", { hall: hallName });
}

// ------------------------------------------------------------ the list

function showList(items, departments) {
  $("list").classList.remove("hidden");
  let department = new URLSearchParams(location.search).get("department") || "";
  const chips = $("departments");
  const present = departments.filter((d) => items.some((i) => i.department === d.code));
  const chip = (code, label) => {
    const b = el("button", null, label);
    b.type = "button";
    b.dataset.department = code;
    b.setAttribute("aria-pressed", String(code === department));
    b.addEventListener("click", () => { department = code; render(); });
    return b;
  };
  function render() {
    chips.replaceChildren(chip("", say("all_departments")), ...present.map((d) => chip(d.code, d.short_name || d.name)));
    const query = $("query").value.trim();
    let shown = query ? search(items, query) : items;
    if (department) shown = shown.filter((i) => i.department === department);
    $("summary").textContent = shown.length
      ? say(query ? "found" : "count", { n: shown.length }) : say("none_found");
    $("results").replaceChildren(...shown.map((item) => {
      const a = el("a");
      a.href = `/guides/${encodeURIComponent(item.code)}`;
      a.append(el("div", "name", item.name), el("div", "sub", `${item.department_name || ""} · ${item.kind}`));
      const li = el("li");
      li.dataset.code = item.code;
      li.append(a);
      return li;
    }));
  }
  $("query").addEventListener("input", render);
  // The ticket's status page links here with the ticket's service: /guides?q=户口迁移登记.
  $("query").value = new URLSearchParams(location.search).get("q") || "";
  render();
}

// ------------------------------------------------------------ one item

function list(values, ordered) {
  if (!values || !values.length) return el("span", null, say("none"));
  const box = el(ordered ? "ol" : "ul");
  for (const v of values) box.append(el("li", null, v));
  return box;
}

function showItem(item) {
  $("item").classList.remove("hidden");
  $("item-name").textContent = item.name;
  $("item-meta").textContent = `${item.department_name || ""} · ${say("kind_" + item.kind)}`;
  const fields = [
    ["service", el("span", null, say("take_ticket", { service: item.service_name }))],
    ["legal_basis", list(item.legal_basis, false)],
    ["conditions", list(item.conditions, true)],
    ["materials", list(item.materials, true)],
    ["procedure", list(item.procedure, true)],
    ["statutory_limit", el("span", null, item.statutory_limit)],
    ["promised_limit", el("span", null, item.promised_limit)],
    ["fees", fees(item.fees)],
    ["complaint_phone", phone(item.complaint_phone)],
  ];
  $("item-fields").replaceChildren(...fields.flatMap(([key, value]) => {
    const dt = el("dt", null, say(key));
    dt.dataset.field = key;
    const dd = el("dd");
    dd.dataset.field = key;
    dd.append(value);
    return [dt, dd];
  }));
  document.title = `${item.name} · ${say("title")}`;
}

function fees(items) {
  if (!items || !items.length) return el("span", null, say("no_fee"));
  const box = el("div");
  for (const f of items) {
    const div = el("div", "fee");
    div.append(el("div", null, `${f.name}：${f.standard}`), el("div", "basis", say("fee_basis", { basis: f.basis })));
    box.append(div);
  }
  return box;
}

function phone(number) {
  const a = el("a", null, number);
  a.href = `tel:${number.replace(/[^0-9+]/g, "")}`;
  return a;
}

// ------------------------------------------------------------ start

function fail(key) {
  $("error").textContent = say(key);
  $("error").classList.remove("hidden");
}

async function start() {
  try {
    text = await getJson(`/static/guides.${language}.json`);
  } catch (e) {
    text = {};
  }
  $("language").addEventListener("click", () => {
    try { localStorage.setItem("hallqueue.lang", language === "zh" ? "en" : "zh"); } catch (e) { /* private mode */ }
    location.reload();
  });
  applyText();
  const code = decodeURIComponent(location.pathname.replace(/^\/guides\/?/, ""));
  try {
    const services = await getJson("/api/services");
    hallName = services.hall.name;
    $("hall").textContent = hallName;
    applyText();
    if (code) showItem(await getJson(`/api/guides/${encodeURIComponent(code)}`));
    else showList((await getJson("/api/guides")).items, services.departments);
  } catch (e) {
    fail(e.status === 404 ? "not_found" : "offline");
  }
}

start();

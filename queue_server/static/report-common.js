// Shared by 统计分析 (/admin/reports) and the 部门月报 (/admin/reports/monthly): signing in, the
// report API, the figures' Chinese names and how each is shown, and file downloads.
"use strict";

const Reports = (() => {
  const $ = (id) => document.getElementById(id);
  const NAME_KEY = "hallqueue.admin.name";
  const MANAGERS_ONLY = "此页面供大厅管理人员使用，该账号不能在此登录。";

  // Every figure of a row, as GET /api/reports names it: [key, header, kind].
  const FIGURES = [
    ["issued", "取号", "n"], ["served", "办结", "n"], ["no_show", "过号", "n"], ["cancelled", "取消", "n"],
    ["expired", "未办作废", "n"], ["transferred_in", "转入", "n"], ["transferred_out", "转出", "n"],
    ["wait_mean_s", "平均等候", "min"], ["wait_median_s", "等候中位数", "min"], ["wait_p90_s", "等候P90", "min"],
    ["wait_max_s", "最长等候", "min"], ["within_target_share", "目标内叫号", "share"],
    ["service_mean_s", "平均办理", "min"], ["service_p90_s", "办理P90", "min"],
    ["ratings", "评价数", "n"], ["ratings_5", "非常满意", "n"], ["ratings_4", "满意", "n"],
    ["ratings_3", "基本满意", "n"], ["ratings_2", "不满意", "n"], ["ratings_1", "非常不满意", "n"],
    ["satisfaction_rate", "满意率", "share"], ["rating_coverage", "评价覆盖率", "share"],
    ["low_ratings", "差评", "n"], ["followups_on_time", "按期整改", "n"], ["followups_late", "逾期整改", "n"],
    ["followups_open", "未整改", "n"],
  ];
  const LEVELS = [["ratings_5", "非常满意"], ["ratings_4", "满意"], ["ratings_3", "基本满意"],
                  ["ratings_2", "不满意"], ["ratings_1", "非常不满意"]];

  const show = (value, kind) => {
    if (value === null || value === undefined) return "—";
    if (kind === "share") return `${(value * 100).toFixed(1)}%`;
    if (kind === "min") return `${(value / 60).toFixed(1)}分`;
    return value.toLocaleString("zh-CN");
  };

  // The sign-in form, the same on both report pages: made here, first in <main>.
  function loginForm() {
    const el = Staff.el;
    const form = el("form", { id: "login", class: "card login hidden" },
      el("h2", {}, "大厅管理人员登录"),
      el("label", { for: "login-name" }, "账号"),
      el("input", { id: "login-name", autocomplete: "username", required: "" }),
      el("label", { for: "login-password" }, "密码"),
      el("input", { id: "login-password", type: "password", autocomplete: "current-password", required: "" }),
      el("div", { id: "login-error", class: "message error hidden", role: "alert" }),
      el("button", { class: "primary", type: "submit" }, "登录"));
    document.querySelector("main").prepend(form);
  }

  // The page's own sign-in (the token lives in this tab, as on /admin): the API answers 401 when
  // it is missing or over, and the page then asks for the account again.
  function guard(onReady) {
    loginForm();
    const signedIn = () => {
      $("login").classList.add("hidden");
      $("view").classList.remove("hidden");
      $("signout").classList.remove("hidden");
      $("me").textContent = sessionStorage.getItem(NAME_KEY) || "";
      onReady();
    };
    $("login").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await Staff.api("POST", "/api/login", { login: $("login-name").value.trim(),
                                                          password: $("login-password").value }, null);
        if (!["manager", "admin"].includes(r.role)) {
          await Staff.api("POST", "/api/logout", undefined, r.token).catch(() => {});
          throw new Error(MANAGERS_ONLY);
        }
        Staff.signIn(r.token);
        sessionStorage.setItem(NAME_KEY, r.name || r.login || $("login-name").value.trim());
        signedIn();
      } catch (e) {
        const text = e.code === "window_required" ? MANAGERS_ONLY : e.message;
        $("login-error").textContent = text;
        $("login-error").classList.remove("hidden");
      }
    });
    $("signout").addEventListener("click", async () => {
      await Staff.api("POST", "/api/logout").catch(() => {});
      signedOut();
    });
    if (Staff.token()) signedIn(); else signedOut();
  }

  function signedOut(reason) {
    Staff.signOut();
    $("view").classList.add("hidden");
    $("signout").classList.add("hidden");
    $("me").textContent = "";
    $("login").classList.remove("hidden");
    if (reason) {
      $("login-error").textContent = reason;
      $("login-error").classList.remove("hidden");
    }
  }

  const query = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));

  async function report(params) {
    try {
      return await Staff.api("GET", `/api/reports?${query(params)}`);
    } catch (e) {
      if (e.status === 401) signedOut(e.message);
      throw e;
    }
  }

  // A file of the report: fetched with the token (a plain link could not carry it), then saved
  // under the Chinese name the server gives in Content-Disposition.
  async function download(params, format) {
    const resp = await fetch(`/api/reports?${query({ ...params, format })}`,
                             { headers: { Authorization: `Bearer ${Staff.token()}` } });
    if (!resp.ok) {
      const data = await resp.json().catch(() => ({}));
      if (resp.status === 401) signedOut((data.error || {}).message);
      throw new Error((data.error || {}).message || `导出失败（${resp.status}）`);
    }
    const header = resp.headers.get("Content-Disposition") || "";
    const match = /filename\*=UTF-8''([^;]+)/.exec(header);
    const name = match ? decodeURIComponent(match[1]) : `统计报表.${format}`;
    const url = URL.createObjectURL(await resp.blob());
    const a = Staff.el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // What the hall has, for the filters: departments and services, windows.
  async function hall() {
    const [services, state, health] = await Promise.all([
      Staff.api("GET", "/api/services"), Staff.api("GET", "/api/state"), Staff.api("GET", "/api/health"),
    ]);
    return { services, windows: state.windows, today: health.business_day };
  }

  return { FIGURES, LEVELS, show, guard, report, download, hall, query };
})();

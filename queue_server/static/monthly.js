// 部门月报 (/admin/reports/monthly?month=YYYY-MM&department=CODE): one department's month (or the
// whole centre's) on one printable page: totals, per service, per window, 好差评 and follow-ups.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = Staff.el;
  const show = Reports.show;
  const COLUMNS = [["issued", "取号", "n"], ["served", "办结", "n"], ["no_show", "过号", "n"],
                   ["wait_mean_s", "平均等候", "min"], ["wait_p90_s", "等候P90", "min"],
                   ["within_target_share", "目标内叫号", "share"], ["service_mean_s", "平均办理", "min"],
                   ["ratings", "评价数", "n"], ["satisfaction_rate", "满意率", "share"]];
  let departments = {};

  function lastDay(month) {
    const [y, m] = month.split("-").map(Number);
    return `${month}-${String(new Date(y, m, 0).getDate()).padStart(2, "0")}`;
  }

  function grid(id, first, report) {
    const line = (row) => el("tr", {}, el("td", {}, row.label), ...COLUMNS.map(([k, , kind]) => el("td", {}, show(row[k], kind))));
    $(id).tHead.replaceChildren(el("tr", {}, el("th", {}, first), ...COLUMNS.map(([, name]) => el("th", {}, name))));
    $(id).tBodies[0].replaceChildren(...report.rows.map(line));
    $(id).tFoot.replaceChildren(line(report.total));
  }

  function pairs(id, items) {
    const rows = [];
    for (let i = 0; i < items.length; i += 2) {
      rows.push(el("tr", {}, ...items.slice(i, i + 2).flatMap(([name, value]) => [el("th", {}, name), el("td", {}, value)])));
    }
    $(id).tBodies[0].replaceChildren(...rows);
  }

  async function build() {
    const month = $("month").value;
    const department = $("department").value;
    const [y, m] = month.split("-").map(Number);
    const base = { from: `${month}-01`, to: lastDay(month), department };
    $("message").classList.add("hidden");
    try {
      const [services, windows] = await Promise.all([
        Reports.report({ ...base, by: "service" }), Reports.report({ ...base, by: "window" }),
      ]);
      const t = services.total;
      const who = department ? departments[department] : "全中心";
      $("title").textContent = `${who} ${y}年${m}月政务服务月报`;
      $("subtitle").textContent = `统计时段：${base.from} 至 ${base.to}（有数据 ${services.period.days_with_data} 天）`;
      pairs("overall", [
        ["取号", show(t.issued, "n")], ["办结", show(t.served, "n")], ["过号", show(t.no_show, "n")],
        ["取消", show(t.cancelled, "n")], ["未办作废", show(t.expired, "n")], ["转入 / 转出", `${t.transferred_in} / ${t.transferred_out}`],
        ["平均等候", show(t.wait_mean_s, "min")], ["等候中位数", show(t.wait_median_s, "min")],
        ["等候P90", show(t.wait_p90_s, "min")], ["最长等候", show(t.wait_max_s, "min")],
        ["目标内叫号", show(t.within_target_share, "share")], ["平均办理", show(t.service_mean_s, "min")],
      ]);
      grid("services", "事项", services);
      grid("windows", "窗口", windows);
      pairs("ratings", [
        ...Reports.LEVELS.map(([key, name]) => [name, show(t[key], "n")]),
        ["评价数", show(t.ratings, "n")], ["满意率", show(t.satisfaction_rate, "share")],
        ["评价覆盖率", show(t.rating_coverage, "share")], ["差评", show(t.low_ratings, "n")],
        ["按期整改", show(t.followups_on_time, "n")], ["逾期整改", show(t.followups_late, "n")],
        ["未整改", show(t.followups_open, "n")],
      ]);
      $("note").textContent = `等候自取号至首次叫号；目标内叫号为 ${Math.round(services.period.wait_target_s / 60)} 分钟内叫号的占比。`;
      history.replaceState(null, "", `?${Reports.query({ month, department })}`);
      document.body.dataset.loaded = `${month}/${department}`;
    } catch (e) {
      if (e.status !== 401) {
        $("message").textContent = e.message;
        $("message").classList.remove("hidden");
      }
    }
  }

  $("controls").addEventListener("submit", (ev) => { ev.preventDefault(); build(); });
  $("print").addEventListener("click", () => window.print());

  Reports.guard(async () => {
    const hall = await Reports.hall();
    if ($("department").options.length === 1) {
      for (const d of hall.services.departments) {
        departments[d.code] = d.name;
        $("department").append(el("option", { value: d.code }, d.name));
      }
    }
    const asked = new URLSearchParams(location.search);
    $("month").value = asked.get("month") || hall.today.slice(0, 7);
    $("department").value = asked.get("department") || "";
    build();
  });
})();

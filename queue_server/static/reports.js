// 统计分析 (/admin/reports): a period, a grouping and filters; the totals, four charts (ECharts,
// shipped with the server: no CDN), the table of every figure, and the CSV and Excel files.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = Staff.el;
  const HOURS_SHOWN = [8, 18];  // the heatmap's hours at least (widened to whatever has tickets)
  const WEEKDAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];
  const GROUP_NAMES = { department: "部门", service: "事项", window: "窗口", clerk: "工作人员",
                        hour: "时段", weekday: "星期", day: "日期" };
  const SUMMARY = [["issued", "取号", "n"], ["served", "办结", "n"], ["wait_mean_s", "平均等候", "min"],
                   ["wait_p90_s", "等候P90", "min"], ["within_target_share", "目标内叫号", "share"],
                   ["satisfaction_rate", "满意率", "share"], ["rating_coverage", "评价覆盖率", "share"],
                   ["low_ratings", "差评", "n"]];
  let today = null;
  let charts = null;
  let asked = null;  // the parameters of the report on screen (the files export the same)

  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const day = (text) => { const [y, m, d] = text.split("-").map(Number); return new Date(y, m - 1, d); };

  // The period's first and last day, counted from the hall's business day (not this PC's clock).
  function period(kind) {
    const t = day(today);
    const y = t.getFullYear(), m = t.getMonth();
    const monday = new Date(t); monday.setDate(t.getDate() - ((t.getDay() + 6) % 7));
    switch (kind) {
      case "today": return [t, t];
      case "yesterday": { const d = new Date(t); d.setDate(d.getDate() - 1); return [d, d]; }
      case "week": return [monday, t];
      case "last-week": { const a = new Date(monday); a.setDate(a.getDate() - 7);
                          const b = new Date(monday); b.setDate(b.getDate() - 1); return [a, b]; }
      case "last-month": return [new Date(y, m - 1, 1), new Date(y, m, 0)];
      case "quarter": return [new Date(y, m - (m % 3), 1), t];
      case "year": return [new Date(y, 0, 1), t];
      default: return [new Date(y, m, 1), t];
    }
  }

  function setPeriod() {
    const kind = $("period").value;
    if (kind === "custom") return;
    const [a, b] = period(kind);
    $("from").value = iso(a);
    $("to").value = iso(b);
  }

  function params() {
    return { from: $("from").value, to: $("to").value, by: $("by").value, department: $("f-department").value,
             service: $("f-service").value, window: $("f-window").value, priority: $("f-priority").value };
  }

  function message(text) {
    $("message").textContent = text || "";
    $("message").classList.toggle("hidden", !text);
  }

  async function fillFilters() {
    const hall = await Reports.hall();
    today = hall.today;
    for (const d of hall.services.departments) $("f-department").append(el("option", { value: d.code }, d.name));
    for (const s of hall.services.services) {
      $("f-service").append(el("option", { value: s.code, "data-department": s.department }, s.name));
    }
    for (const w of hall.windows) $("f-window").append(el("option", { value: String(w.number) }, `${w.number} ${w.name}`));
    setPeriod();
  }

  // Only the chosen department's services are offered.
  $("f-department").addEventListener("change", () => {
    const dep = $("f-department").value;
    for (const o of $("f-service").options) {
      if (!o.value) continue;
      o.hidden = Boolean(dep) && o.dataset.department !== dep;
    }
    if ($("f-service").selectedOptions[0]?.hidden) $("f-service").value = "";
  });
  $("period").addEventListener("change", setPeriod);
  for (const id of ["from", "to"]) $(id).addEventListener("change", () => { $("period").value = "custom"; });

  // ------------------------------------------------------------------ drawing

  function summary(total) {
    $("summary").replaceChildren(...SUMMARY.map(([key, name, kind]) =>
      el("div", { class: "figure", "data-figure": key }, el("div", { class: "name" }, name),
         el("div", { class: "value" }, Reports.show(total[key], kind)))));
  }

  function table(report) {
    const head = el("tr", {}, el("th", {}, GROUP_NAMES[report.period.by]),
                    ...Reports.FIGURES.map(([, name]) => el("th", {}, name)));
    const line = (row) => el("tr", { "data-key": row.key === null ? "" : String(row.key) }, el("td", {}, row.label),
                             ...Reports.FIGURES.map(([key, , kind]) => el("td", {}, Reports.show(row[key], kind))));
    $("rows").tHead.replaceChildren(head);
    $("rows").tBodies[0].replaceChildren(...report.rows.map(line));
    $("rows").tFoot.replaceChildren(line(report.total));
    const p = report.period;
    $("table-title").textContent = `明细：${p.from} 至 ${p.to}，按${GROUP_NAMES[p.by]}（${report.rows.length} 行）`;
    $("note").textContent = `有数据 ${p.days_with_data} 天（现有数据 ${p.data_from} 至 ${p.data_to}）。等候自取号至首次叫号；`
      + `目标内叫号为 ${Math.round(p.wait_target_s / 60)} 分钟内叫号的占比；满意率为“满意”“非常满意”占全部评价的比例；`
      + `P90 为九成办事群众不超过的时长。`;
  }

  function font() { return getComputedStyle(document.body).fontFamily; }

  function initCharts() {
    const make = (id) => echarts.init($(id), null, { renderer: "canvas" });
    charts = { days: make("chart-days"), heat: make("chart-heat"), ratings: make("chart-ratings"),
               departments: make("chart-departments") };
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  }

  const minutes = (s) => (s == null ? null : Math.round(s / 6) / 10);

  function drawDays(report) {
    const rows = report.rows;
    charts.days.setOption({
      textStyle: { fontFamily: font() },
      tooltip: { trigger: "axis" },
      legend: { data: ["取号", "平均等候（分钟）"], top: 0 },
      grid: { left: 56, right: 56, bottom: 32, top: 48 },
      xAxis: { type: "category", data: rows.map((r) => r.label.slice(5)) },
      yAxis: [{ type: "value", name: "取号" }, { type: "value", name: "分钟" }],
      series: [
        { name: "取号", type: "bar", data: rows.map((r) => r.issued), itemStyle: { color: "#0b4f8a" } },
        { name: "平均等候（分钟）", type: "line", yAxisIndex: 1, data: rows.map((r) => minutes(r.wait_mean_s)),
          itemStyle: { color: "#c2540a" } },
      ],
    }, true);
  }

  function drawHeat(report) {
    const cells = report.arrivals || [];
    let [low, high] = HOURS_SHOWN;
    for (const c of cells) { low = Math.min(low, c.hour); high = Math.max(high, c.hour); }
    const hours = [];
    for (let h = low; h <= high; h += 1) hours.push(`${h}时`);
    const most = Math.max(1, ...cells.map((c) => c.issued));
    charts.heat.setOption({
      textStyle: { fontFamily: font() },
      tooltip: { formatter: (p) => `${WEEKDAYS[p.value[1]]} ${hours[p.value[0]]}：取号 ${p.value[2]}` },
      grid: { left: 64, right: 20, bottom: 84, top: 16 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: WEEKDAYS, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: most, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#f3f7fb", "#7fb0dc", "#0b4f8a"] }, text: ["多", "少"] },
      series: [{ type: "heatmap", data: cells.map((c) => [c.hour - low, c.weekday - 1, c.issued]),
                 label: { show: false } }],
    }, true);
  }

  function drawRatings(total) {
    const data = Reports.LEVELS.map(([key, name]) => ({ name, value: total[key] }));
    const rated = total.ratings > 0;
    charts.ratings.setOption({
      textStyle: { fontFamily: font() },
      title: rated ? undefined : { text: "所选时段没有评价", left: "center", top: "middle",
                                   textStyle: { color: "#667", fontSize: 16, fontFamily: font() } },
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0 },
      color: ["#18794e", "#5aa469", "#c9a227", "#e07b39", "#b3261e"],
      series: rated ? [{ type: "pie", radius: ["35%", "65%"], data, label: { formatter: "{b}\n{c}" } }] : [],
    }, true);
  }

  function drawDepartments(report) {
    const rows = [...report.rows].sort((a, b) => a.issued - b.issued);
    // A bar pair per department, each readable: the chart grows with the hall's departments.
    $("chart-departments").style.height = `${Math.max(320, rows.length * 26 + 90)}px`;
    charts.departments.resize();
    charts.departments.setOption({
      textStyle: { fontFamily: font() },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["取号", "平均等候（分钟）"], top: 0 },
      grid: { left: 150, right: 40, bottom: 30, top: 60 },
      yAxis: { type: "category", data: rows.map((r) => r.label), axisLabel: { width: 140, overflow: "truncate" } },
      xAxis: [{ type: "value", name: "取号" }, { type: "value", name: "分钟", position: "top" }],
      series: [
        { name: "取号", type: "bar", data: rows.map((r) => r.issued), itemStyle: { color: "#0b4f8a" } },
        { name: "平均等候（分钟）", type: "bar", xAxisIndex: 1, data: rows.map((r) => minutes(r.wait_mean_s)),
          itemStyle: { color: "#c2540a" } },
      ],
    }, true);
  }

  // 预约: per service, with the total.
  function bookings(report) {
    const keys = ["booked", "checked_in", "on_time", "missed", "cancelled"];
    const line = (row) => el("tr", { "data-service": row.service || "" }, el("td", {}, row.label),
                             ...keys.map((k) => el("td", {}, String(row[k]))));
    $("bookings").tBodies[0].replaceChildren(...report.bookings.rows.map(line));
    $("bookings").tFoot.replaceChildren(line(report.bookings.total));
  }

  async function run() {
    message("");
    const p = params();
    const main = Reports.report({ ...p, arrivals: 1 });
    const byDay = p.by === "day" ? main : Reports.report({ ...p, by: "day" });
    const byDept = p.by === "department" ? main : Reports.report({ ...p, by: "department" });
    try {
      const [report, days, departments] = await Promise.all([main, byDay, byDept]);
      asked = p;
      summary(report.total);
      table(report);
      bookings(report);
      drawDays(days);
      drawHeat(report);
      drawRatings(report.total);
      drawDepartments(departments);
      document.body.dataset.loaded = `${p.from}/${p.to}/${p.by}`;
    } catch (e) {
      if (e.status !== 401) message(e.message);
    }
  }

  $("query").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  for (const format of ["csv", "xlsx"]) {
    $(format).addEventListener("click", async () => {
      try { await Reports.download(asked || params(), format); } catch (e) { message(e.message); }
    });
  }
  $("monthly").addEventListener("click", () => {
    const month = ($("from").value || today).slice(0, 7);
    location.href = `/admin/reports/monthly?${Reports.query({ month, department: $("f-department").value })}`;
  });

  Reports.guard(async () => {
    try {
      if (!charts) initCharts();
      if (!today) await fillFilters();
      await run();
    } catch (e) {
      message(e.message);
    }
  });
})();

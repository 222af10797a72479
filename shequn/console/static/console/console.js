/* Console behaviour: ECharts from JSON embedded in the page, one submit per form. */
(function () {
  "use strict";

  var TIER_COLORS = ["#9aa5b1", "#7f8ea3", "#e0a526", "#1d6fe0", "#8e44ad", "#16a085"];
  var FLOW_COLORS = { issued: "#168a4a", redeemed: "#1d6fe0", expired: "#c9302c" };
  var charts = [];
  var LOCALE = document.documentElement.lang === "en" ? "en" : "zh-CN";
  var TEXT = Object.assign({ members: "位会员", people: "人", issued: "发放", redeemed: "兑换/扣减", expired: "过期" },
                           data("chart-text") || {});

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function tierChart(el, rows) {
    var total = rows.reduce(function (s, r) { return s + r.value; }, 0);
    var counts = {};
    rows.forEach(function (r) { counts[r.name] = r.value; });
    return {
      color: TIER_COLORS,
      tooltip: { trigger: "item", formatter: function (p) {
        var n = p.value.toLocaleString(LOCALE) + " " + TEXT.people;
        return LOCALE === "en" ? p.name + ": " + n + " (" + p.percent + "%)" : p.name + "：" + n + "（" + p.percent + "%）";
      } },
      legend: { bottom: 0, icon: "circle", itemGap: 16, itemStyle: { borderWidth: 0 },
                textStyle: { fontSize: 14 },
                formatter: function (name) { return name + " " + counts[name].toLocaleString(LOCALE); } },
      title: { text: total.toLocaleString(LOCALE), subtext: TEXT.members, left: "49.5%", top: "33%",
               textAlign: "center",
               textStyle: { fontSize: 28, fontWeight: 700 }, subtextStyle: { fontSize: 13 } },
      series: [{
        type: "pie", radius: ["46%", "70%"], center: ["50%", "43%"], label: { show: false },
        itemStyle: { borderColor: "#fff", borderWidth: 2 }, data: rows
      }]
    };
  }

  function flowChart(el, flow) {
    function line(key, name) {
      return { name: name, type: "line", smooth: true, smoothMonotone: "x", symbol: "none", data: flow[key],
               lineStyle: { width: 2.5 }, itemStyle: { color: FLOW_COLORS[key] },
               areaStyle: key === "issued" ? { opacity: 0.08 } : undefined };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, textStyle: { fontSize: 13 } },
      grid: { left: 56, right: 20, top: 20, bottom: 56 },
      xAxis: { type: "category", data: flow.days.map(function (d) { return d.slice(5); }),
               axisLabel: { fontSize: 12 } },
      yAxis: { type: "value", axisLabel: { fontSize: 12 } },
      series: [line("issued", TEXT.issued), line("redeemed", TEXT.redeemed), line("expired", TEXT.expired)]
    };
  }

  var BUILDERS = { tiers: tierChart, flow: flowChart };

  function initCharts(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      var rows = data(el.dataset.source);
      if (!build || !rows) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(Object.assign({ animation: !el.hasAttribute("data-static") }, build(el, rows)));
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  /* A second click while the first submit is in flight does nothing; the server also
     ignores a repeated form token, this just spares the operator a confusing reload. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) { return; }
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
})();

// Charts (Chart.js) for the home page and the certification progress page. Each canvas names the
// json_script element holding its figures (data-chart-data) and carries its translated labels as data
// attributes: the page has no inline script (docs/security.md).
(function () {
  "use strict";

  function figures(canvas) {
    const source = document.getElementById(canvas.dataset.chartData);
    return source ? JSON.parse(source.textContent) : null;
  }

  const drawers = {
    // Home: retirees by status.
    "status-doughnut": function (canvas, data) {
      return new Chart(canvas, {
        type: "doughnut",
        data: {
          labels: data.labels,
          datasets: [{ data: data.counts, backgroundColor: ["#198754", "#ffc107", "#6c757d", "#212529"] }],
        },
        options: { maintainAspectRatio: false, plugins: { legend: { position: "right" } }, cutout: "60%" },
      });
    },
    // Certification progress: certifications per day (bars) and the running total (line).
    "certification-progress": function (canvas, data) {
      const labels = canvas.dataset;
      return new Chart(canvas, {
        data: {
          labels: data.days,
          datasets: [
            { type: "bar", label: labels.labelDaily, data: data.certifications, backgroundColor: "#0d6efd", yAxisID: "y" },
            { type: "line", label: labels.labelCumulative, data: data.cumulative, borderColor: "#198754",
              backgroundColor: "#198754", pointRadius: 0, borderWidth: 2, spanGaps: false, yAxisID: "y1" },
          ],
        },
        options: {
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { ticks: { autoSkip: true, maxTicksLimit: 14 } },
            y: { beginAtZero: true, position: "left", title: { display: true, text: labels.axisDaily }, ticks: { precision: 0 } },
            y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                  title: { display: true, text: labels.axisCumulative }, ticks: { precision: 0 } },
          },
        },
      });
    },
  };

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const draw = drawers[canvas.dataset.chart];
      const data = figures(canvas);
      if (draw && data && !canvas.dataset.drawn) {
        canvas.dataset.drawn = "1";
        draw(canvas, data);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

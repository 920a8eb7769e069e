// Charts of an annual adjustment's dry run (Chart.js): the distribution of the monthly rise and the rise by
// township. Each canvas names the json_script element holding the run's figures (data-chart-data) and
// carries its translated labels as data attributes: the page has no inline script (docs/security.md).
(function () {
  "use strict";

  function figures(canvas) {
    const source = document.getElementById(canvas.dataset.chartData);
    return source ? JSON.parse(source.textContent) : null;
  }

  const drawers = {
    // People per 10-yuan band of monthly rise.
    "adjustment-histogram": function (canvas, data) {
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.histogram.labels,
          datasets: [{ label: canvas.dataset.labelCount, data: data.histogram.counts, backgroundColor: "#0d6efd" }],
        },
        options: {
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    },
    // Monthly rise per township, in yuan (the figures hold exact strings; the chart needs numbers).
    "adjustment-townships": function (canvas, data) {
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.townships.labels,
          datasets: [{ label: canvas.dataset.labelRise, data: data.townships.rise.map(Number), backgroundColor: "#198754" }],
        },
        options: {
          maintainAspectRatio: false,
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true } },
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

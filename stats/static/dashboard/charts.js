/* Draws every <canvas data-chart="ID"> from the JSON in <script id="ID"> ({labels, series}).
   The same numbers are in the table after each chart: the chart is a picture of that table. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colours = ["#000091", "#c9191e", "#18753c"];  // DSFR blue France, red Marianne, green
  Chart.defaults.font.family = "Marianne, arial, sans-serif";
  Chart.defaults.color = "#3a3a3a";
  function drawAll() { document.querySelectorAll("canvas[data-chart]").forEach(draw); }
  // Labels are measured when drawn: wait for the Marianne font, or long labels are cut.
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(drawAll); } else { drawAll(); }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var horizontal = canvas.dataset.chartType === "bar-horizontal";
    var printing = window.matchMedia && window.matchMedia("print").matches;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (serie, i) {
          return { label: serie.label, data: serie.data, backgroundColor: colours[i % colours.length], borderRadius: 2 };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: printing ? false : { duration: 300 },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
})();

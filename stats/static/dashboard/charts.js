/* Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json"> ({labels, series}).
   The same numbers are in the table after each chart: the chart is a picture of that table.
   This year in the deployment's colour (--brand-text, from /dashboard/brand.css), last year in grey. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var style = getComputedStyle(document.documentElement);
  function cssColour(name, fallback) { return style.getPropertyValue(name).trim() || fallback; }
  var colours = [cssColour("--brand-text", "#0d6e6e"), "#6b7280", "#b34700"];
  Chart.defaults.font.family = cssColour("--pico-font-family-sans-serif", "system-ui, sans-serif");
  Chart.defaults.color = "#373c44";
  document.querySelectorAll("canvas[data-chart]").forEach(draw);

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var horizontal = canvas.dataset.chartType === "bar-horizontal";
    // No movement on paper, nor for those who asked their system for less of it.
    var still = window.matchMedia && window.matchMedia("print, (prefers-reduced-motion: reduce)").matches;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: horizontal ? data.labels.map(wrap) : data.labels,
        datasets: data.series.map(function (serie, i) {
          return { label: serie.label, data: serie.data, backgroundColor: colours[i % colours.length], borderRadius: 2 };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 300 },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          // Every category named, even when the box is short: the labels are what the bars mean.
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  // Long category names on several lines: on a phone Chart.js would otherwise cut them at the left edge.
  function wrap(label) {
    var lines = [];
    String(label).split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= 16) { lines[last] += " " + word; } else { lines.push(word); }
    });
    return lines.length > 1 ? lines : label;
  }
})();

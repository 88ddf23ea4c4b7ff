/* A warning's live report: its figures read again every few seconds while anything is still to go, and
   written in place; the sentence in the page's live region is read out when it changes. A file, since the
   Content-Security-Policy runs no inline script; without JavaScript, the page's "Actualiser" link. */
(function () {
  "use strict";
  var report = document.querySelector("[data-report-url]");
  if (!report || !window.fetch) { return; }
  var url = report.getAttribute("data-report-url");
  var every = (Number(report.getAttribute("data-report-every")) || 5) * 1000;
  var failures = 0;
  var MAX_FAILURES = 5; // then the link remains: a server that keeps failing is not asked forever

  function figure(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, data);
  }

  function show(data) {
    report.querySelectorAll("[data-figure]").forEach(function (element) {
      var value = figure(data, element.getAttribute("data-figure"));
      if (value !== undefined && element.textContent !== String(value)) { element.textContent = String(value); }
    });
    var status = report.querySelector("[data-report-status]");
    if (status.textContent !== data.summary) { status.textContent = data.summary; }
    var delay = report.querySelector("[data-report-delay]");
    delay.hidden = !data.delay;
    report.querySelector("[data-report-delay-text]").textContent = data.delay || "";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.pending > 0) { window.setTimeout(poll, every); }
      })
      .catch(function () {
        failures += 1;
        if (failures < MAX_FAILURES) { window.setTimeout(poll, every * (failures + 1)); }
      });
  }

  if (Number(report.getAttribute("data-pending")) > 0) { window.setTimeout(poll, every); }
})();

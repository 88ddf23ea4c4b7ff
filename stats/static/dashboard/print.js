/* The yearly account's print button: a listener in a file, since the Content-Security-Policy runs no inline handler. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

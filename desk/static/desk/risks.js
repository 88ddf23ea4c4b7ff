/* The warning form: choosing a hazard or a level proposes its ready instructions (GET
   /api/v1/warnings/instructions), unless the mayor already wrote their own. A file, since the
   Content-Security-Policy runs no inline script; without JavaScript, the form's "Proposer les consignes"
   button does the same on the server. */
(function () {
  "use strict";
  var text = document.querySelector("[data-instructions-url]");
  var hazard = document.getElementById("risk-hazard");
  var level = document.getElementById("risk-level");
  if (!text || !hazard || !level || !window.fetch) { return; }
  var url = text.getAttribute("data-instructions-url");
  // What may be replaced: the ready text the page came with (the server says whether it is one), then each one
  // proposed here; anything else is the mayor's own words.
  var proposed = text.getAttribute("data-instructions-ready") === "true" ? text.value : null;

  function propose() {
    if (text.value.trim() !== "" && text.value !== proposed) { return; } // the mayor's own words stay
    var query = "?hazard=" + encodeURIComponent(hazard.value) + "&level=" + encodeURIComponent(level.value);
    fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      })
      .then(function (data) {
        if (text.value.trim() === "" || text.value === proposed) {
          text.value = data.instruction;
          proposed = data.instruction;
        }
      })
      .catch(function () { /* the button stays: the server proposes them */ });
  }

  hazard.addEventListener("change", propose);
  level.addEventListener("change", propose);
})();

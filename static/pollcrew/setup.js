// The setup pages (areas, polling stations, roles).
(function () {
  "use strict";

  // The role form: say "Ends the next day." as soon as the end time is earlier than
  // the start (the page says it too after saving, without JavaScript).
  function updateOvernight() {
    var note = document.querySelector("[data-overnight-note]");
    var start = document.getElementById("id_default_start");
    var end = document.getElementById("id_default_end");
    if (!note || !start || !end) return;
    note.hidden = !(start.value && end.value && end.value < start.value);
  }
  document.addEventListener("input", function (event) {
    var id = event.target && event.target.id;
    if (id === "id_default_start" || id === "id_default_end") updateOvernight();
  });

  // After a move the list comes back at #move-<id>-<up|down|to> (or #row-<id>):
  // put the focus on that button again, or on what is left of the row's controls
  // (the first row has no "up"), so that a keyboard user can go on moving it.
  function refocus() {
    var match = /^#(?:move|row)-(\d+)(?:-(\w+))?$/.exec(window.location.hash);
    if (!match) return;
    var id = match[1];
    var candidates = ["move-" + id + "-" + (match[2] || "to"), "move-" + id + "-up",
      "move-" + id + "-down", "position-" + id];
    for (var i = 0; i < candidates.length; i++) {
      var target = document.getElementById(candidates[i]);
      if (target) {
        target.focus();
        return;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    updateOvernight();
    refocus();
  });
})();

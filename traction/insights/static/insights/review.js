// The review queue's "tick every row on this page" box (progressive enhancement: without
// scripts the box stays hidden and rows are ticked one by one). Loaded as a file, as the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  if (!all) return;
  var boxes = function () {
    return Array.prototype.slice.call(
      document.querySelectorAll('.review-table tbody input[type="checkbox"][name="ids"]')
    );
  };
  var sync = function () {
    var ticks = boxes();
    var ticked = ticks.filter(function (b) { return b.checked; }).length;
    all.checked = ticks.length > 0 && ticked === ticks.length;
    all.indeterminate = ticked > 0 && ticked < ticks.length;
  };
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    all.indeterminate = false;
  });
  document.addEventListener("change", function (event) {
    if (event.target !== all && event.target.name === "ids") sync();
  });
  sync();
})();

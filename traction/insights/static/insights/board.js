// The journey grid scrolls inside its own box, under the capture line: the box is as tall as
// the window less the capture panel, so the step headers (sticky at the box's top) stay in
// view below the capture panel while the grid scrolls. This measures the panel's height.
(function () {
  "use strict";
  function measure() {
    var board = document.querySelector(".board");
    if (!board) {
      return;
    }
    var panel = document.getElementById("capture-panel");
    var height = panel ? panel.getBoundingClientRect().height : 0;
    board.style.setProperty("--capture-h", Math.ceil(height) + "px");
  }
  document.addEventListener("DOMContentLoaded", measure);
  window.addEventListener("resize", measure);
  document.addEventListener("htmx:afterSettle", measure);
})();

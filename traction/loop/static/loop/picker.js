// A searchable picker (loop/_picker_search.html): Enter in its search box searches (htmx,
// "search" event) instead of submitting the form around it. (Enter in a "Find" box,
// loop/_find_box.html, presses its Find button: traction/static/find_boxes.js, on every page.)
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.matches) return;
    if (!box.matches("[data-picker-search]")) return;
    event.preventDefault();
    if (window.htmx) window.htmx.trigger(box, "search");
  });
})();

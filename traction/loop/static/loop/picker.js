// A searchable picker (loop/_picker_search.html): Enter in its search box searches (htmx,
// "search" event) instead of submitting the form around it; Enter in a "Find" box
// (loop/_find_box.html) presses its Find button, not the form's default one.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.matches) return;
    if (box.matches("[data-find-box]")) {
      var find = box.parentNode.querySelector("[data-find-button]");
      event.preventDefault();
      if (find) find.click();
      return;
    }
    if (!box.matches("[data-picker-search]")) return;
    event.preventDefault();
    if (window.htmx) window.htmx.trigger(box, "search");
  });
})();

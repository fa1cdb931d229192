// A searchable picker (loop/_picker_search.html): Enter in its search box searches (htmx,
// "search" event) instead of submitting the form around it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.matches || !box.matches("[data-picker-search]")) return;
    event.preventDefault();
    if (window.htmx) window.htmx.trigger(box, "search");
  });
})();

// A button marked data-print prints the page. Behaviour lives in static files, never in
// on* attributes: the Content-Security-Policy (script-src 'self') refuses inline handlers.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("button[data-print]")) {
      window.print();
    }
  });
})();

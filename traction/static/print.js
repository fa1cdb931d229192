// A button marked data-print prints the page. Behaviour lives in static files, never in
// on* attributes: the Content-Security-Policy (script-src 'self') refuses inline handlers.
// An element marked data-print-fit (the scenario map) prints on one landscape page: before
// printing it is laid out at the printable width (.print-fit in traction.css), then zoomed
// down until it is no taller than the page; after printing it is put back.
(function () {
  "use strict";
  // The printable area of a landscape A4 or Letter page with 10 mm margins, in CSS pixels
  // (the smaller of the two, less a little room).
  var PAGE_HEIGHT = 690;
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("button[data-print]")) {
      window.print();
    }
  });
  window.addEventListener("beforeprint", function () {
    var fit = document.querySelector("[data-print-fit]");
    if (!fit) {
      return;
    }
    document.documentElement.classList.add("print-fit");
    fit.style.zoom = "";
    var height = fit.getBoundingClientRect().height;
    if (height > PAGE_HEIGHT) {
      fit.style.zoom = String(Math.floor((PAGE_HEIGHT / height) * 1000) / 1000);
    }
  });
  window.addEventListener("afterprint", function () {
    var fit = document.querySelector("[data-print-fit]");
    document.documentElement.classList.remove("print-fit");
    if (fit) {
      fit.style.zoom = "";
    }
  });
})();

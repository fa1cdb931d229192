// The debrief room's countdown: the time left in the current phase, counted down each
// second from the server's figure (data-seconds-left) without reloading; htmx refreshes
// the clock panel every minute with the server's own figure.
(function () {
  "use strict";
  function format(s) {
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  var timer = null;
  function start() {
    var el = document.getElementById("time-left");
    if (timer) { clearInterval(timer); timer = null; }
    if (!el) { return; }
    var left = parseInt(el.getAttribute("data-seconds-left") || "0", 10);
    if (!(left > 0)) { return; }
    var began = Date.now();
    timer = setInterval(function () {
      var now = left - Math.floor((Date.now() - began) / 1000);
      if (now <= 0) {
        el.textContent = "time is up";
        el.classList.add("time-up");
        clearInterval(timer);
        timer = null;
        return;
      }
      el.textContent = format(now) + " left";
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", start);
  document.body.addEventListener("htmx:afterSwap", start);
})();

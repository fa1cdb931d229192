// The customer's own time beside the session's: fills [data-local-time] from the browser's
// time zone when the server did not know it, and remembers the zone in a cookie so the
// next page the server renders shows it too. Nothing happens when the zones are the same.
(function () {
  "use strict";

  function parts(date, zone) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function span(start, end, zone) {
    var a = parts(start, zone);
    var b = parts(end, zone);
    var day = a.weekday + " " + a.day + " " + a.month + " " + a.year;
    var endDay = b.weekday + " " + b.day + " " + b.month + " " + b.year;
    if (day === endDay) {
      return day + ", " + a.hour + ":" + a.minute + "–" + b.hour + ":" + b.minute;
    }
    return day + ", " + a.hour + ":" + a.minute + " – " + endDay + ", " + b.hour + ":" + b.minute;
  }

  function fill(el, zone) {
    if (!el.hidden) { return; }  // the server already showed it
    if (!zone || zone === el.dataset.sessionZone) { return; }
    var text = span(new Date(el.dataset.start), new Date(el.dataset.end), zone);
    el.textContent = "In your time zone: " + text + " ";
    var muted = document.createElement("span");
    muted.className = "muted";
    muted.textContent = "(" + zone + ")";
    el.appendChild(muted);
    el.hidden = false;
  }

  function start() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    if (!zone) { return; }
    document.cookie = "traction_tz=" + encodeURIComponent(zone) +
      "; path=/; max-age=31536000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    document.querySelectorAll("[data-local-time]").forEach(function (el) { fill(el, zone); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

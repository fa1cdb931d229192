// The time-zone picker: a search box above each <select data-tz-picker>. Typing filters
// the options (by any part of the name, spaces or underscores alike) and selects the
// first match; Enter keeps it without submitting the form; ArrowDown moves to the list.
// Without script the select works as it is. Loaded once per field; runs once per select.
(function () {
  "use strict";

  function norm(text) {
    return text.toLowerCase().replace(/_/g, " ").replace(/\s+/g, " ").trim();
  }

  function enhance(select) {
    if (select.dataset.tzReady) { return; }
    select.dataset.tzReady = "1";
    var id = select.id || ("tz-" + Math.random().toString(36).slice(2));
    select.id = id;
    var search = document.createElement("input");
    search.type = "search";
    search.id = id + "-search";
    search.className = "tz-search";
    search.placeholder = "Type a city or region, e.g. Berlin";
    search.setAttribute("aria-label", "Find a zone by city or region");
    search.setAttribute("aria-controls", id);
    search.setAttribute("autocomplete", "off");
    var status = document.createElement("p");
    status.className = "tz-status muted small";
    status.id = id + "-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    search.setAttribute("aria-describedby", status.id);
    select.parentNode.insertBefore(search, select);
    select.parentNode.insertBefore(status, select.nextSibling);
    var options = Array.prototype.slice.call(select.options);

    function filter() {
      var words = norm(search.value).split(" ").filter(Boolean);
      var first = null;
      var count = 0;
      options.forEach(function (option) {
        var text = norm(option.value + " " + option.text);
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        option.disabled = !match && option !== select.options[select.selectedIndex];
        if (match) {
          count += 1;
          if (first === null) { first = option; }
        }
      });
      if (!words.length) {
        status.textContent = "";
        options.forEach(function (option) { option.disabled = false; });
        return;
      }
      if (first !== null) {
        first.disabled = false;
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        status.textContent = count + (count === 1 ? " time zone matches" : " time zones match") +
          ": " + first.text + " selected.";
      } else {
        status.textContent = "No time zone matches “" + search.value + "”.";
      }
    }

    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // choosing is not submitting
        filter();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function start() {
    document.querySelectorAll("select[data-tz-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

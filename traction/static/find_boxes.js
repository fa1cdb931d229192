// The "Find" boxes inside forms (a ".picker-search" block: a search box and its Find button;
// templates/includes/find_box.html, find_member.html, find_program.html, loop/_find_box.html).
// - Enter in a Find box presses its Find button. A form holding one starts with a hidden copy
//   of its save button, so Enter in any other field saves; without JavaScript, Enter in the
//   Find box saves too.
// - A search sent by GET (a Find button's formmethod="get") leaves the form's CSRF token out,
//   so the token never lands in the address bar, the history or a server's access log.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!box.matches || !box.matches(".picker-search input[type=search]")) return;
    if (box.matches("[data-picker-search]")) return; // loop/picker.js: it searches as you type
    var find = box.closest(".picker-search").querySelector("button[type=submit]");
    if (!find || find.form !== box.form) return;
    event.preventDefault();
    find.click();
  });

  function sentByGet(form, submitter) {
    if (submitter && submitter.hasAttribute("formmethod")) return submitter.formMethod === "get";
    return form.method === "get";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !sentByGet(form, event.submitter)) return;
    var tokens = Array.prototype.filter.call(form.elements, function (field) {
      return field.name === "csrfmiddlewaretoken" && !field.disabled;
    });
    if (!tokens.length) return;
    // A disabled field is left out of what the form sends; the entries are gathered right
    // after this event, so the token is back at once for a later save (and on "Back").
    tokens.forEach(function (field) { field.disabled = true; });
    var restore = function () {
      tokens.forEach(function (field) { field.disabled = false; });
    };
    window.setTimeout(restore, 0);
    window.addEventListener("pageshow", restore, { once: true });
  });
})();

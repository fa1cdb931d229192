// The <details class="menu"> menus of the navigation: Escape closes the open one and gives the
// focus back to its button; a click elsewhere closes it too.
// The main links (<details class="navmenu">) are rendered open, so they work without
// JavaScript; on a narrow screen this folds them behind their "Menu" button, and there
// Escape and a click elsewhere close them like the other menus.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 47.99rem)");
  function navMenu() {
    return document.querySelector("details.navmenu");
  }
  function fold() {
    var nav = navMenu();
    if (nav) {
      nav.open = !narrow.matches;
    }
  }
  fold();
  if (narrow.addEventListener) {
    narrow.addEventListener("change", fold);
  }
  function openMenus() {
    var found = Array.prototype.slice.call(document.querySelectorAll("details.menu[open]"));
    var nav = navMenu();
    if (nav && nav.open && narrow.matches) {
      found.push(nav);
    }
    return found;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    openMenus().forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary && (hadFocus || document.activeElement === document.body)) {
        summary.focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();

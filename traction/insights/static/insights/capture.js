// Live capture: keep the note taker's hands on the keyboard.
// After each save (an htmx swap of the capture panel) the text line has the focus again;
// Escape clears the line; Alt+Up / Alt+Down pick the previous / next speaker without leaving it.
(function () {
  function focusLine() {
    var line = document.getElementById("id_text");
    if (line) { line.focus(); }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "capture-panel") { focusLine(); }
  });
  document.addEventListener("keydown", function (event) {
    var line = document.getElementById("id_text");
    if (!line || event.target !== line) { return; }
    if (event.key === "Escape") { line.value = ""; return; }
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      var speaker = document.getElementById("id_speaker");
      if (!speaker) { return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = speaker.selectedIndex + step;
      if (next >= 0 && next < speaker.options.length) { speaker.selectedIndex = next; }
      var status = document.getElementById("capture-status");
      if (status) { status.textContent = "Speaker: " + speaker.options[speaker.selectedIndex].text; }
      event.preventDefault();
    }
  });
})();

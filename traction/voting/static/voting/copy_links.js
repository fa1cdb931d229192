// The facilitator's voting page: a "Copy" button copies the voting link it names
// (data-copy="<id of the element holding the link>") to the clipboard.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var text = document.getElementById(button.dataset.copy).textContent.trim();
  navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
});

// The customer's ballot on a phone: "−" and "+" beside each card and a live "Dots left".
// Without JavaScript the steppers stay hidden and the number boxes work on their own: the
// server refuses a ballot over the budget and draws the counter from what was posted.
(function () {
  var form = document.getElementById("ballot-form");
  if (!form) { return; }
  var budget = parseInt(form.dataset.budget, 10);
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.dots-input"));
  var left = document.getElementById("dots-left");
  var used = document.getElementById("dots-used");
  var fits = document.getElementById("dots-fit");
  var over = document.getElementById("dots-over");

  // Counted as the server counts: ASCII digits only, anything else is 0.
  function value(input) {
    var raw = input.value.trim();
    return /^[0-9]+$/.test(raw) ? parseInt(raw, 10) : 0;
  }
  function entered() {
    return inputs.reduce(function (sum, input) { return sum + value(input); }, 0);
  }
  function refresh() {
    var total = entered();
    var remaining = budget - total;
    left.textContent = Math.max(0, remaining);
    used.textContent = total;
    fits.hidden = remaining < 0;
    over.hidden = remaining >= 0;
    inputs.forEach(function (input) {
      var card = input.closest(".ballot-card");
      card.classList.toggle("chosen", value(input) > 0);
      card.querySelector('[data-step="1"]').disabled = remaining <= 0;
      card.querySelector('[data-step="-1"]').disabled = value(input) <= 0;
    });
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step]");
    if (!button || button.disabled) { return; }
    var input = button.closest(".stepper").querySelector("input.dots-input");
    var step = parseInt(button.dataset.step, 10);
    if (step > 0 && entered() >= budget) { return; }
    input.value = Math.max(0, value(input) + step);
    refresh();
  });
  form.addEventListener("input", refresh);
  Array.prototype.forEach.call(form.querySelectorAll("[data-step]"), function (button) {
    button.hidden = false;
  });
  refresh();
})();

// A form marked data-upload-progress (the import pages) shows how its upload goes: a
// <progress> bar while the file is sent, then "Reading the file…" while the server reads it
// (a large file takes seconds), then the page the server answers (the preview, or the form
// with its errors) replaces this one. Without JavaScript the form posts as any form does.
// A form marked data-busy="…" (the preview's confirm) posts as usual and shows that text with
// a moving bar while the server works (writing 100,000 rows takes most of a minute).
// Behaviour lives in static files: the Content-Security-Policy refuses inline scripts.
(function () {
  "use strict";
  function sizeText(bytes) {
    return bytes >= 1048576
      ? (bytes / 1048576).toFixed(1) + " MB"
      : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
  function statusBlock(form) {
    var block = form.querySelector(".upload-progress");
    if (block) {
      return block;
    }
    block = document.createElement("div");
    block.className = "upload-progress";
    block.setAttribute("data-upload-status", "");
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.id = (form.id || "upload") + "-progress";
    var text = document.createElement("p");
    text.className = "small muted";
    text.setAttribute("role", "status");
    text.setAttribute("aria-live", "polite");
    bar.setAttribute("aria-label", "Upload progress");
    block.appendChild(bar);
    block.appendChild(text);
    var actions = form.querySelector(":scope > .actions");
    form.insertBefore(block, actions);
    return block;
  }
  function show(response, url) {
    // The answer replaces the page, as a plain form post would have: its title and body.
    var html = new DOMParser().parseFromString(response, "text/html");
    document.title = html.title;
    document.body.replaceWith(document.adoptNode(html.body));
    if (url && url !== window.location.href) {
      window.history.pushState(null, "", url);
    }
    window.scrollTo(0, 0);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var busy = form.getAttribute("data-busy");
    var submitter = event.submitter;
    if (busy && !(submitter && submitter.name)) {
      // The confirm itself (not "Update preview"): the browser posts; say it is working.
      var shown = statusBlock(form);
      shown.hidden = false;
      shown.querySelector("progress").removeAttribute("value");
      shown.querySelector("[role=status]").textContent = busy;
      return;
    }
    if (!form.hasAttribute("data-upload-progress")) {
      return;
    }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file || !window.FormData || !window.DOMParser) {
      return; // nothing to show: the form posts as usual
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var block = statusBlock(form);
    var bar = block.querySelector("progress");
    var text = block.querySelector("[role=status]");
    block.hidden = false;
    bar.value = 0;
    text.textContent = "Uploading “" + file.name + "” (" + sizeText(file.size) + ")…";
    if (button) {
      button.disabled = true;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        text.textContent =
          "Uploading “" + file.name + "”: " + sizeText(e.loaded) + " of " + sizeText(e.total);
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value"); // no measure of the server's reading: a moving bar
      block.classList.add("upload-reading");
      text.textContent = "Reading the file… A large file takes a few seconds.";
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0) {
        show(xhr.responseText, xhr.responseURL);
      } else {
        form.submit(); // not a page (an error from a proxy?): let the browser show it
      }
    });
    xhr.addEventListener("error", function () {
      block.classList.remove("upload-reading");
      bar.value = 0;
      text.textContent = "The upload was interrupted; check the connection and try again.";
      if (button) {
        button.disabled = false;
      }
    });
    xhr.send(new FormData(form));
  });
})();

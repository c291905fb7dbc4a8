// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  function describe(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  function setupUpload() {
    var form = document.getElementById("upload-form");
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("file");
    var chosen = document.getElementById("file-chosen");
    var problem = document.getElementById("file-problem");
    if (!form || !zone || !input) { return; }
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;

    function check() {
      var file = input.files && input.files[0];
      problem.hidden = true;
      problem.textContent = "";
      chosen.textContent = file ? "Selected: " + file.name + " (" + describe(file.size) + ")" : "";
      if (file && maxBytes && file.size > maxBytes) {
        problem.textContent = "This file is " + describe(file.size) + "; the limit is " + describe(maxBytes) + ".";
        problem.hidden = false;
        return false;
      }
      return true;
    }

    input.addEventListener("change", check);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        check();
      }
    });
    form.addEventListener("submit", function (event) {
      if (!check()) { event.preventDefault(); input.focus(); return; }
      var button = document.getElementById("upload-button");
      if (button) { button.disabled = true; button.textContent = "Reading the letter…"; }
    });
  }

  function setupBusyButtons() {
    document.querySelectorAll("button[data-busy]").forEach(function (button) {
      button.form.addEventListener("submit", function () {
        // Disable after the submit is under way so the button's value is still sent.
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = button.getAttribute("data-busy");
        }, 0);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload();
    setupBusyButtons();
  });
})();

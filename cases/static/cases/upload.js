/* Intake forms (staff intake and the officer portal): drag-and-drop for the legal process
   document, and keeping the chosen file when the server sends the form back with errors.

   Without this script the page is a plain form with a file input and works as it is. With
   it: the document field becomes a drop zone (drop a PDF anywhere on it, or click to
   choose), and the form is sent with fetch(), so when the server answers with errors
   (HTTP 400, the same page with messages) the new form replaces the old one but the file
   input - and the file in it - is moved across instead of being lost. Success answers
   204 with the page to go to in X-Redirect-To (a redirect that fetch followed would read,
   and so use up, the "created" message meant for that page). */
(function () {
  "use strict";

  function describe(input, label) {
    var file = input.files && input.files[0];
    label.textContent = file ? file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)" : "";
  }

  function enhanceZone(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = zone && zone.querySelector("input[type=file]");
    if (!zone || !input) { return; }
    var label = zone.querySelector("[data-dropzone-file]");
    var hint = zone.querySelector("[data-dropzone-hint]");
    zone.classList.add("is-enhanced");
    if (hint) { hint.hidden = false; }
    function refresh() {
      describe(input, label);
      zone.classList.toggle("has-file", !!(input.files && input.files.length));
    }
    input.addEventListener("change", refresh);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      refresh();
    });
    zone.addEventListener("click", function (event) {
      if (event.target === zone || event.target === hint || event.target === label) { input.click(); }
    });
    refresh();
  }

  function keepFileAcross(oldForm, newForm) {
    var oldInput = oldForm.querySelector("[data-dropzone] input[type=file]");
    var newInput = newForm.querySelector("[data-dropzone] input[type=file]");
    if (!oldInput || !newInput || !oldInput.files || !oldInput.files.length) { return; }
    newInput.replaceWith(oldInput);  /* the same element: its file goes with it */
    var note = newForm.querySelector("[data-file-note]");
    if (note) { note.remove(); }
  }

  function enhanceForm(form) {
    enhanceZone(form);
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.DOMParser) { return; }
      event.preventDefault();
      if (form.classList.contains("is-sending")) { return; }
      form.classList.add("is-sending");
      fetch(form.action || window.location.href, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Upload-Form": "1" }
      }).then(function (response) {
        var next = response.headers.get("X-Redirect-To");
        if (response.status === 204 && next) { window.location.assign(next); return null; }
        if (response.redirected) { window.location.assign(response.url); return null; }
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById(form.id);
          if (!fresh) { document.documentElement.replaceWith(page.documentElement); return; }
          keepFileAcross(form, fresh);
          form.replaceWith(fresh);
          enhanceForm(fresh);
          var alert = fresh.querySelector("[role=alert]");
          if (alert) { alert.scrollIntoView({ block: "center" }); }
          var firstError = fresh.querySelector(".has-error input, .has-error select, .has-error textarea");
          if (firstError) { firstError.focus({ preventScroll: true }); }
        });
      }).catch(function () {
        form.classList.remove("is-sending");
        form.submit();  /* the network failed: fall back to a plain submission */
      });
    });
  }

  document.querySelectorAll("form[data-upload-form]").forEach(enhanceForm);
})();

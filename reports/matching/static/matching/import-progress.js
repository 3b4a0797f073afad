// Polls the progress of running hash imports and updates their progress bars.
(function () {
  "use strict";
  var running = ["queued", "parsing", "merging"];
  function poll(row) {
    fetch(row.dataset.importProgress, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        row.querySelector("progress").value = data.percent;
        row.querySelector("[data-role=status]").textContent = data.status_label;
        row.querySelector("[data-role=added]").textContent = data.added;
        row.querySelector("[data-role=kept]").textContent = data.kept;
        row.querySelector("[data-role=refused]").textContent = data.refused;
        row.dataset.importStatus = data.status;
        if (running.indexOf(data.status) >= 0) { setTimeout(function () { poll(row); }, 1000); }
      });
  }
  document.querySelectorAll("[data-import-progress]").forEach(function (row) {
    if (running.indexOf(row.dataset.importStatus) >= 0) { poll(row); }
  });
})();

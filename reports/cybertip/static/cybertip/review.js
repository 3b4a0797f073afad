// Keyboard shortcuts for file review (no inline script: strict CSP).
// In a focused file card: 1-4 choose A1/A2/B1/B2, 0 clears, L and G toggle the live
// streaming and generative AI annotations, S saves the classification.
(function () {
  "use strict";
  var classes = { "1": "A1", "2": "A2", "3": "B1", "4": "B2", "0": "" };
  var flags = { l: "liveStreaming", g: "generativeAi" };
  document.addEventListener("keydown", function (event) {
    var card = event.target.closest && event.target.closest(".file-review");
    if (!card || event.target.matches("input[type=text], textarea")) { return; }
    var form = card.querySelector("form.classify");
    if (!form) { return; }
    var key = event.key.toLowerCase();
    if (key in classes) {
      form.querySelector("select").value = classes[key];
      event.preventDefault();
    } else if (key in flags) {
      var box = form.querySelector("input[value=" + flags[key] + "]");
      if (box) { box.checked = !box.checked; event.preventDefault(); }
    } else if (key === "s") {
      form.submit();
      event.preventDefault();
    }
  });
})();

// The complaint wizard: reading a screenshot takes a few seconds, so say so while it runs
// and keep the button from being pressed twice.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || submitter.id !== "ocr-button") return;
    var progress = document.getElementById("ocr-progress");
    if (progress) progress.hidden = false;
    submitter.setAttribute("aria-disabled", "true");
    submitter.addEventListener("click", function (again) { again.preventDefault(); });
  });
})();

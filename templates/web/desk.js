// Small enhancements; every page works without this script.
// 1. A build page follows its build until it has finished.
// 2. "Print" prints the PDF from the page instead of opening it.
(function () {
  "use strict";

  function followBuild(region) {
    var url = region.getAttribute("data-status-url");
    var refresh = document.querySelector("[data-refresh-link]");
    var polls = 0;
    var current = function () { return region.firstElementChild; };
    if (!url || !current() || current().getAttribute("data-finished") === "yes") return;
    if (refresh) refresh.hidden = true;
    var timer = window.setInterval(function () {
      polls += 1;
      if (polls > 900) {  // 15 minutes: stop asking, let the person reload
        window.clearInterval(timer);
        if (refresh) refresh.hidden = false;
        return;
      }
      fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          if (fresh.getAttribute("data-key") !== current().getAttribute("data-key")) {
            region.replaceChildren(fresh);
          }
          if (fresh.getAttribute("data-finished") === "yes") window.clearInterval(timer);
        })
        .catch(function () {});
    }, 1000);
  }

  function printPdf(event) {
    var link = event.currentTarget;
    var holder = document.getElementById("print-frame");
    if (!holder) return;
    event.preventDefault();
    holder.replaceChildren();
    var frame = document.createElement("iframe");
    frame.title = link.textContent;
    frame.src = link.getAttribute("href");
    frame.addEventListener("load", function () {
      try {
        frame.contentWindow.focus();
        frame.contentWindow.print();
      } catch (error) {
        window.location.href = link.getAttribute("href");
      }
    });
    holder.appendChild(frame);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var region = document.getElementById("build-status");
    if (region) followBuild(region);
    document.querySelectorAll("a[data-print]").forEach(function (link) {
      link.addEventListener("click", printPdf);
    });
  });
})();

// Live ages and countdowns for the escalate pages: the build embeds instants in data-
// attributes (data-since, data-deadline), this keeps the text counting. No dependencies.
(function () {
  "use strict";
  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    // The same as the build writes (escalate.records.format_age): 3d0h, 5h07m, 45m.
    if (days) return days + "d" + hours + "h";
    if (hours) return hours + "h" + (mins < 10 ? "0" : "") + mins + "m";
    return mins + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = span((now - since) / 1000);
    });
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline)) return;
      var left = (deadline - now) / 1000;
      el.textContent = left >= 0 ? "in " + span(left) : span(left) + " ago";
      el.classList.toggle("esc-countdown--past", left < 0);
    });
  }
  function start() {
    tick();
    if (!window.__escalateTimer) window.__escalateTimer = setInterval(tick, 30000);
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(start); // Material's instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

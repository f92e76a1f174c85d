// Inside the frame (pages under /embed/…): tell the host page how tall the page is, so that its
// iframe grows and shrinks with the form and never shows a scroll bar of its own. Only the height
// is sent, and to any parent: it says nothing about the resident or the case.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function send(reason) {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last && reason !== "load") { return; }
    last = height;
    window.parent.postMessage({ type: "civicdesk:height", height: height, reason: reason }, "*");
  }
  document.addEventListener("DOMContentLoaded", function () {
    send("load");
    if (window.ResizeObserver) {
      new ResizeObserver(function () { send("resize"); }).observe(document.documentElement);
    } else {
      window.addEventListener("resize", function () { send("resize"); });
    }
  });
  window.addEventListener("load", function () { send("load"); });
})();

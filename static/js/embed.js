// CivicDesk's contact form on another site, with one tag:
//
//   <script src="https://PORTAL/static/js/embed.js" async
//           data-civicdesk-src="https://PORTAL/embed/ORG/contact/ORG/?topic=TOPIC"
//           data-civicdesk-title="Contact form"></script>
//
// The script puts an iframe of that address where the tag stands (or into the element whose id is
// in data-civicdesk-target) and sets the iframe's height from the messages the embedded page sends,
// accepting them only from that iframe and that origin. The site's own CSP must allow this script
// and frame-src for PORTAL; PORTAL's organisation must list the site among its embedding origins.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-civicdesk-src")) { return; }
  var src = new URL(script.getAttribute("data-civicdesk-src"), script.src);
  var frame = document.createElement("iframe");
  frame.src = src.href;
  frame.title = script.getAttribute("data-civicdesk-title") || "Contact form";
  frame.setAttribute("data-civicdesk-frame", "");
  frame.style.width = "100%";
  frame.style.minHeight = "20rem";
  frame.style.border = "0";
  frame.style.display = "block";
  var target = script.getAttribute("data-civicdesk-target");
  var place = target && document.getElementById(target);
  if (place) {
    place.appendChild(frame);
  } else {
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
  var loads = 0;
  window.addEventListener("message", function (event) {
    if (event.origin !== src.origin || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || data.type !== "civicdesk:height" || typeof data.height !== "number") { return; }
    frame.style.height = Math.max(200, Math.min(Math.round(data.height), 20000)) + "px";
    if (data.reason === "load") {
      loads += 1;
      // After the first page (the form sent, an error shown), bring the frame's top into view.
      if (loads > 1 && frame.getBoundingClientRect().top < 0) { frame.scrollIntoView(); }
    }
  });
})();

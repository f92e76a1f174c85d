// The case page's map: one marker at the case's location. Progressive enhancement — the page
// already shows the address and coordinates as text; without Leaflet or tiles nothing breaks.
(function () {
  "use strict";
  function draw(element) {
    if (!window.L) { return; }
    var lat = parseFloat(element.dataset.lat), lon = parseFloat(element.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return; }
    element.hidden = false;
    // The map is a picture of a place (role="img"): no focusable controls inside it. The link
    // next to the coordinates opens a full map; the attribution is printed below as text.
    var map = window.L.map(element, {
      scrollWheelZoom: false, keyboard: false, zoomControl: false, attributionControl: false
    }).setView([lat, lon], 16);
    if (element.dataset.tileUrl) {
      window.L.tileLayer(element.dataset.tileUrl, {
        maxZoom: 19
      }).addTo(map);
    }
    window.L.circleMarker([lat, lon], { radius: 9, color: "#0b3d91", weight: 3, fillOpacity: 0.4 }).addTo(map);
    element.removeAttribute("tabindex");
    var credit = element.nextElementSibling;
    if (credit && credit.hasAttribute("data-map-attribution")) { credit.hidden = false; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-case-map]").forEach(draw);
  });
})();

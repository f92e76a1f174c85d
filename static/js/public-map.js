// The public map of published contacts: clustered markers from the JSON endpoint, reloaded for the
// visible area as the reader pans and zooms. Progressive enhancement: the list under the map is the
// complete, accessible view; without Leaflet, the plugin or the data the map stays hidden.
(function () {
  "use strict";

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function popup(feature) {
    var props = feature.properties;
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    var heading = document.createElement("p");
    heading.className = "popup-title";
    heading.appendChild(link);
    box.appendChild(heading);
    var meta = document.createElement("p");
    meta.appendChild(text([props.date, props.category_name, props.status_text].filter(Boolean).join(" · ")));
    box.appendChild(meta);
    return box;
  }

  function draw(element) {
    var L = window.L;
    if (!L || !L.markerClusterGroup || !window.fetch) { return; }
    var status = element.parentNode.querySelector("[data-map-status]");
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false, attributionControl: false, maxZoom: 19 })
      .setView([60.17, 24.94], 11);
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
      var credit = element.parentNode.querySelector("[data-map-attribution]");
      if (credit) { credit.hidden = false; }
    }
    var clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
    map.addLayer(clusters);
    var base = element.dataset.url;
    var first = true;
    var pending = null;
    var timer = null;

    function url(withBounds) {
      var joiner = base.indexOf("?") === -1 ? "?" : "&";
      if (!withBounds) { return base; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(4); });
      return base + joiner + "bbox=" + bbox.join(",");
    }

    function show(data) {
      clusters.clearLayers();
      var markers = data.features.map(function (feature) {
        var coordinates = feature.geometry.coordinates;
        var marker = L.marker([coordinates[1], coordinates[0]], {
          title: feature.properties.title, alt: feature.properties.title, keyboard: true
        });
        marker.bindPopup(popup(feature));
        return marker;
      });
      clusters.addLayers(markers);
      if (status) { status.textContent = data.truncated ? element.dataset.truncatedText : ""; }
      if (first && markers.length) {
        // The first load is the whole organisation: fit the view to it, then load by area.
        map.fitBounds(clusters.getBounds(), { maxZoom: 15, padding: [20, 20] });
      }
      first = false;
    }

    function load() {
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(url(!first), { signal: pending.signal, headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(show)
        .catch(function (error) {
          if (error.name === "AbortError") { return; }
          if (status) { status.textContent = element.dataset.errorText; }
        });
    }

    map.on("moveend", function () {
      if (first) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 250);
    });
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-public-map]").forEach(draw);
  });
})();

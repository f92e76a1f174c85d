// The residents' contact form, progressively enhanced. Without this file everything still works:
// the topic search is a GET form, and the address field is the location (looked up on the server).
//  1. Topic list: filters the topics as the resident types (the same rule as
//     intake.selectors.topics_matching: every word must occur, accents ignored).
//  2. Form: a Leaflet map to mark the place (click, drag, "use my location"), suggestions from the
//     organisation's address list, and the contacts already made nearby on this topic (R1.2),
//     drawn on the map and listed as text for those who do not see the map; the notices above the
//     form (already on the page for the topic) narrowed to the area of the marked place.
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  // --- 1. topic list ------------------------------------------------------------------------
  function topicFilter(input) {
    var list = document.querySelector("[data-topic-list]");
    var count = document.querySelector("[data-topic-count]");
    if (!list) { return; }
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));
    var announce = debounce(function (shown) {
      if (!count) { return; }
      if (shown === 0) { count.textContent = count.dataset.none; }
      else if (shown === 1) { count.textContent = count.dataset.one; }
      else { count.textContent = count.dataset.many.replace("%s", shown); }
    }, 400);
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = item.dataset.search;
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      announce(shown);
    });
  }

  // --- 2. the map ---------------------------------------------------------------------------
  function getJSON(url, done, failed) {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(done).catch(function () { if (failed) { failed(); } });
  }

  function locationField(fieldset) {
    var form = fieldset.closest("form");
    var latInput = form.querySelector("[data-lat]");
    var lonInput = form.querySelector("[data-lon]");
    var address = form.querySelector("[data-address-input]");
    var status = fieldset.querySelector("[data-map-status]");
    var suggestions = fieldset.querySelector("[data-address-suggestions]");
    var addressesUrl = fieldset.dataset.addressesUrl;
    var nearbyUrl = fieldset.dataset.nearbyUrl;
    var map = null, marker = null, nearbyLayer = null;

    function say(key) { if (status) { status.textContent = status.dataset[key] || ""; } }

    function loadNearby(lat, lon) {
      var section = fieldset.querySelector("[data-nearby]");
      if (!nearbyUrl || !section) { return; }
      var list = section.querySelector("[data-nearby-list]");
      var note = section.querySelector("[data-nearby-status]");
      getJSON(nearbyUrl + "&lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6), function (data) {
        section.hidden = false;
        list.textContent = "";
        if (nearbyLayer) { nearbyLayer.clearLayers(); }
        data.contacts.forEach(function (contact) {
          var item = document.createElement("li");
          var kind = contact.published ? note.dataset.published : note.dataset.unpublished;
          item.appendChild(document.createTextNode(kind + " · " + contact.status + " · " + contact.date));
          if (contact.published && contact.title) {
            item.appendChild(document.createTextNode(" · "));
            var link = document.createElement(contact.url ? "a" : "span");
            if (contact.url) { link.href = contact.url; }
            link.textContent = contact.title;
            item.appendChild(link);
          }
          list.appendChild(item);
          if (nearbyLayer) {
            var dot = window.L.circleMarker([contact.lat, contact.lon], {
              radius: contact.published ? 8 : 6, color: contact.published ? "#7a3e00" : "#555555",
              weight: 2, fillOpacity: contact.published ? 0.6 : 0.15, interactive: false
            });
            nearbyLayer.addLayer(dot);
          }
        });
        note.textContent = data.contacts.length ? note.dataset.some.replace("%s", data.contacts.length)
          : note.dataset.none;
      }, function () { section.hidden = false; note.textContent = note.dataset.failed; });
    }

    // The notices of the topic in the marked place's area: the server's fragment (portal:notices),
    // whose content replaces that of the page's live region #notices.
    var noticesUrl = fieldset.dataset.noticesUrl;
    var loadNotices = debounce(function (lat, lon) {
      var region = document.getElementById("notices");
      if (!noticesUrl || !region) { return; }
      var url = noticesUrl + (lat === null ? "" : "&lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6));
      fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
        .then(function (html) {
          var found = new DOMParser().parseFromString(html, "text/html").getElementById("notices");
          if (found && found.innerHTML !== region.innerHTML) { region.innerHTML = found.innerHTML; }
        }).catch(function () { /* the topic's notices stay as they were */ });
    }, 400);

    function place(lat, lon, opts) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      if (map) {
        if (!marker) {
          marker = window.L.marker([lat, lon], { draggable: true, keyboard: false, alt: "" }).addTo(map);
          marker.on("dragend", function () {
            var p = marker.getLatLng();
            place(p.lat, p.lng, { keepView: true });
          });
        } else {
          marker.setLatLng([lat, lon]);
        }
        if (!(opts && opts.keepView)) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
      }
      say("located");
      loadNearby(lat, lon);
      loadNotices(lat, lon);
    }

    function clear() {
      latInput.value = "";
      lonInput.value = "";
      if (marker && map) { map.removeLayer(marker); marker = null; }
      if (nearbyLayer) { nearbyLayer.clearLayers(); }
      var section = fieldset.querySelector("[data-nearby]");
      if (section) { section.hidden = true; }
      say("cleared");
      loadNotices(null, null);
    }

    // Address suggestions from the organisation's own list: buttons, reachable by Tab.
    if (address && suggestions && addressesUrl) {
      address.setAttribute("aria-controls", "address-suggestions");
      var lookup = debounce(function () {
        var query = address.value.trim();
        if (query.length < 2) { suggestions.hidden = true; return; }
        getJSON(addressesUrl + "?q=" + encodeURIComponent(query), function (data) {
          suggestions.textContent = "";
          data.addresses.forEach(function (found) {
            var item = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = found.label;
            button.addEventListener("click", function () {
              address.value = found.label;
              suggestions.hidden = true;
              place(found.lat, found.lon);
              address.focus();
            });
            item.appendChild(button);
            suggestions.appendChild(item);
          });
          suggestions.hidden = data.addresses.length === 0;
        });
      }, 250);
      address.addEventListener("input", lookup);
    }

    var tools = fieldset.querySelector("[data-map-tools]");
    if (tools) { tools.hidden = false; }
    var useMine = fieldset.querySelector("[data-use-my-location]");
    if (useMine) {
      if (!navigator.geolocation) { useMine.hidden = true; }
      useMine.addEventListener("click", function () {
        say("locating");
        navigator.geolocation.getCurrentPosition(function (position) {
          place(position.coords.latitude, position.coords.longitude);
        }, function () { say("noLocation"); }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
    var clearButton = fieldset.querySelector("[data-clear-location]");
    if (clearButton) { clearButton.addEventListener("click", clear); }

    var element = fieldset.querySelector("[data-contact-map]");
    if (window.L && element) {
      element.hidden = false;
      var lat0 = parseFloat(fieldset.dataset.centreLat), lon0 = parseFloat(fieldset.dataset.centreLon);
      if (isNaN(lat0) || isNaN(lon0)) { lat0 = 60.17; lon0 = 24.94; }
      map = window.L.map(element, { scrollWheelZoom: false, attributionControl: false }).setView([lat0, lon0], 13);
      if (fieldset.dataset.tileUrl) { window.L.tileLayer(fieldset.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
      nearbyLayer = window.L.layerGroup().addTo(map);
      map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, { keepView: true }); });
      var credit = fieldset.querySelector("[data-map-attribution]");
      if (credit) { credit.hidden = false; }
    }
    // Coming back with errors: the point the resident marked is still in the hidden fields.
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (!isNaN(lat) && !isNaN(lon)) { place(lat, lon); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var search = document.querySelector("[data-topic-search]");
    if (search) { topicFilter(search); }
    document.querySelectorAll("[data-location]").forEach(locationField);
    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); }
  });
})();

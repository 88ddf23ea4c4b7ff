/* Draws each commune map (templates/maps/_map.html) with Leaflet, from the JSON beside it (communes/maps.py):
   the commune's outline (each commune's, when the map has several), a scale, the points as circles that grow with their count, and tiles only when the
   deployment names a tile server (MAP_TILE_URL). The table in the same figure lists the same points: the map
   adds a picture of it, so labels are set as text, never as HTML. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  document.querySelectorAll("[data-map-canvas]").forEach(function (canvas) {
    // The component included twice on a page runs this file twice: each map is drawn once.
    if (canvas.dataset.drawn) { return; }
    var source = canvas.parentElement.querySelector("script[type='application/json']");
    if (!source) { return; }
    canvas.dataset.drawn = "true";
    canvas.hidden = false;  // shown before Leaflet measures it
    draw(canvas, JSON.parse(source.textContent));
  });

  function draw(canvas, data) {
    var texts = data.texts;
    // The page scrolls under the wheel; the map zooms with its buttons, a double click or the keyboard (+, -).
    var map = L.map(canvas, { zoomControl: false, attributionControl: false, scrollWheelZoom: false, maxZoom: data.max_zoom });
    L.control.zoom({ zoomInTitle: texts.zoom_in, zoomOutTitle: texts.zoom_out }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    if (data.tiles) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(data.tiles.url, { maxZoom: data.max_zoom, attribution: escaped(data.tiles.attribution) }).addTo(map);
    }
    var view = null;
    data.outlines.forEach(function (b) {
      var outline = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
      L.rectangle(outline, { className: "commune-map__outline", fill: false, interactive: false, weight: 2, dashArray: "6 4" }).addTo(map);
      view = view ? view.extend(outline) : L.latLngBounds(outline.getSouthWest(), outline.getNorthEast());
    });
    var biggest = Math.max.apply(null, data.points.map(function (p) { return p.count; }).concat([1]));
    data.points.forEach(function (point) {
      var where = L.latLng(point.latitude, point.longitude);
      view.extend(where);
      L.circleMarker(where, { className: "commune-map__point", radius: radius(point.count, biggest), weight: 1.5, fillOpacity: 0.7 })
        .bindTooltip(text("span", point.label))
        .bindPopup(popup(point))
        .addTo(map);
    });
    fitWhileUntouched(map, canvas, view);
    // Leaflet names the popup's close button in English.
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", texts.close); }
    });
  }

  // The whole area in view, again after the box is resized (a phone turned, a window narrowed: Leaflet would keep
  // the top-left corner where it was), until the reader drags or zooms the map themselves.
  function fitWhileUntouched(map, canvas, view) {
    var fitting = false, touched = false;
    function fit() {
      fitting = true;
      map.fitBounds(view, { padding: [12, 12], animate: false });
      fitting = false;
    }
    map.on("dragstart", function () { touched = true; });
    map.on("zoomstart", function () { touched = touched || !fitting; });
    map.on("resize", function () { if (!touched) { fit(); } });
    fit();
  }

  // 5 px for one, up to 14 px for the page's biggest: the area follows the count.
  function radius(count, biggest) {
    return 5 + 9 * Math.sqrt(Math.max(count, 1) / biggest);
  }

  function popup(point) {
    var paragraph = document.createElement("p");
    paragraph.className = "commune-map__popup";
    if (point.url) {
      var link = text("a", point.label);
      link.href = point.url;
      paragraph.appendChild(link);
    } else {
      paragraph.textContent = point.label;
    }
    return paragraph;
  }

  function text(tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    return element;
  }

  // Leaflet writes attributions as HTML: the deployment's text is shown as typed.
  function escaped(value) {
    return text("span", value || "").innerHTML;
  }
})();

"""Map drawing: the only module that imports folium (DESIGN §6).

It draws the layers :mod:`geo.render.hexlayer` builds as data (allow-listed GeoJSON),
with the legend, the viewport fit and the metric scale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import branca
import folium
from shapely.geometry.base import BaseGeometry

from geo.core.escape import escape_text
from geo.render.hexlayer import HexLayer
from geo.render.packed import UNPACK_JS, packed_json, script_json
from geo.render.viewport import View

OSM_ATTRIBUTION = "&copy; OpenStreetMap contributors"
#: Where the browser finds the vendored Leaflet (``static/leaflet``, served by Streamlit's
#: static file serving), relative to the st_folium component's iframe. No CDN is used.
LEAFLET_BASE = "../../app/static/leaflet"


#: Hexagon fills: a thin grey edge under a 0.7 fill (the colour comes with each hexagon).
FILL_STYLE: dict[str, Any] = {"color": "#555555", "weight": 0.3, "fillOpacity": 0.7}
#: Coverage outlines: edge and a faint fill in the hexagon's own colour.
OUTLINE_STYLE: dict[str, Any] = {"weight": 2, "fillOpacity": 0.08}
#: The study area's outline (not interactive, not filled).
BOUNDARY_STYLE: dict[str, Any] = {"fill": False, "color": "#222222", "weight": 2}
#: A hexagon under the pointer.
HIGHLIGHT_STYLE: dict[str, Any] = {"weight": 2, "color": "#000000"}


class _RawScript(branca.element.Element):
    """Rendered text added to the figure as it is (see :func:`_render_macros`)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _render_macros(self: branca.element.MacroElement, **kwargs: Any) -> str:
    """branca's ``MacroElement.render`` without compiling its output again: the header,
    HTML and script a macro renders are added to the figure as they are. branca wraps
    each in an ``Element``, which parses it as a Jinja template: a cost on every map
    of every rerun (about 30 ms a map, and the whole data of a packed layer), and a
    template parse of text that may hold partner-supplied names (escaped, but not for
    Jinja). Installed for every folium element drawn here, folium's own included."""
    figure = cast(Any, self.get_root())
    macros = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(_RawScript(macro(self, kwargs)), name=self.get_name())
    for child in self._children.values():
        child.render(**kwargs)
    return ""


branca.element.MacroElement.render = _render_macros  # type: ignore[method-assign]


class PackedDecoder(branca.element.MacroElement):
    """Defines ``psUnpack`` (:data:`geo.render.packed.UNPACK_JS`) once for the map's
    :class:`PackedLayer` s."""

    _template = branca.element.Template(
        "{% macro script(this, kwargs) %}" + UNPACK_JS + "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PackedDecoder"


class PackedLayer(folium.FeatureGroup):
    """A layer of polygons drawn from :func:`geo.render.packed.pack_layer`'s compact
    form: one Leaflet feature group (so the layer control ticks it on and off) of
    canvas polygons, each with its colour, its label as a sticky tooltip and the
    highlight under the pointer. Its template is compiled once (a class attribute) and
    the packed JSON is remembered per layer, so redrawing a map costs little.

    Parameters
    ----------
    geojson : dict
        FeatureCollection of polygons with ``colour`` and ``label`` properties.
    name : str
        Layer-control name (fixed text; escaped here).
    show : bool
        Visible when the map opens.
    style : dict
        Leaflet path options shared by every polygon (:data:`FILL_STYLE`, ...).
    outline : bool
        Draw each polygon's edge in its own colour (coverage layers).
    interactive : bool
        Tooltips, highlight and clicks (False for the study-area outline).
    control : bool
        Listed in the layer control.
    """

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({});
        (function () {
          var group = {{ this.get_name() }};
          var d = {{ this.data }};
          var base = {{ this.style }};
          var outline = {{ this.outline }};
          var interactive = {{ this.interactive }};
          var feats = psUnpack(d);
          for (var i = 0; i < feats.length; i++) {
            var colour = d.c[feats[i][0]];
            var style = Object.assign({interactive: interactive}, base);
            if (style.fill !== false) { style.fillColor = colour; }
            if (outline) { style.color = colour; }
            var poly = L.polygon(feats[i][2], style);
            poly.psStyle = style;
            if (interactive) { poly.bindTooltip(d.l[feats[i][1]], {sticky: true}); }
            group.addLayer(poly);
          }
          if (interactive) {
            var hl = {{ this.highlight }};
            group.on("mouseover", function (e) { e.layer.setStyle(hl); });
            group.on("mouseout", function (e) { e.layer.setStyle(e.layer.psStyle); });
          }
          {% if this.show %}group.addTo({{ this._parent.get_name() }});{% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geojson: dict[str, Any],
        name: str,
        *,
        show: bool = True,
        style: dict[str, Any] | None = None,
        outline: bool = False,
        interactive: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=escape_text(name), show=show, control=control)
        self._name = "PackedLayer"
        self.data = packed_json(geojson)
        self.style = script_json(style if style is not None else FILL_STYLE)
        self.highlight = script_json(HIGHLIGHT_STYLE)
        self.outline = "true" if outline else "false"
        self.interactive = "true" if interactive else "false"

    def render(self, **kwargs: Any) -> str:
        """Its script, which adds the group to the map when shown (folium's ``Layer``
        would add an ``addTo`` element of its own)."""
        return _render_macros(self, **kwargs)


#: The legend's element id and class (a constant: the legend's HTML holds fixed text only).
LEGEND_ID = "ps-legend"
LEGEND_CLASS = "ps-legend"


def _legend_html(layers: Sequence[HexLayer], extra: Sequence[tuple[str, str]]) -> str:
    """The legend's HTML. It is first placed in the page (fixed, bottom left: a fallback)
    and :class:`LegendControl` then moves it into a Leaflet control on the map itself,
    so it sits on the map whatever the frame's height."""
    parts = [
        f'<div id="{LEGEND_ID}" class="{LEGEND_CLASS}" style="position:fixed;bottom:24px;'
        "left:12px;z-index:9999;background:rgba(255,255,255,0.92);padding:6px 8px;"
        "border:1px solid #999;border-radius:4px;font:12px/1.35 sans-serif;max-width:260px;"
        'overflow-y:auto">'
    ]
    for layer in layers:
        parts.append(f"<b>{escape_text(layer.name)}</b><br>")
        for colour, text in layer.legend:
            parts.append(
                f'<i style="display:inline-block;width:1em;height:1em;vertical-align:-0.15em;'
                f"background:{escape_text(colour)};margin-right:4px;border:1px solid #555"
                f'"></i>{escape_text(text)}<br>'
            )
    for colour, text in extra:
        parts.append(
            f'<i style="display:inline-block;width:0.8em;height:0.8em;border-radius:50%;'
            f'background:{escape_text(colour)};margin-right:4px"></i>{escape_text(text)}<br>'
        )
    parts.append("</div>")
    return "".join(parts)


class LegendControl(branca.element.MacroElement):
    """Moves the legend (:func:`_legend_html`) into a Leaflet control at the map's
    bottom right, its height capped to the map's so it never spills below it."""

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var box = document.getElementById("{{ this.legend_id }}");
          if (!box) { return; }
          var Legend = L.Control.extend({
            options: {position: "bottomright"},
            onAdd: function () {
              box.style.position = "static";
              box.style.maxHeight = Math.max(80, map.getSize().y - 70) + "px";
              L.DomEvent.disableClickPropagation(box);
              L.DomEvent.disableScrollPropagation(box);
              return box;
            }
          });
          new Legend().addTo(map);
          map.on("resize", function () {
            box.style.maxHeight = Math.max(80, map.getSize().y - 70) + "px";
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LegendControl"
        self.legend_id = LEGEND_ID


class FitViewport(branca.element.MacroElement):
    """Presentation mode: the map (and its frame, whose height then equals the map's)
    takes the height left between its top and the bottom of the browser window, between
    ``min_height`` and ``max_height``, so map and legend fit the first screen. A map that
    starts below the fold is given one screen's height instead. The legend's type grows
    to ``legend_px``; on a map shorter than ``collapse_below`` the layer list folds into
    its button so that it does not cover the legend.

    Runs in the map's own frame (Streamlit serves it from the same origin); without
    access to the page it leaves the map at the height it was given."""

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var div = map.getContainer();
          var legend = document.getElementById("{{ this.legend_id }}");
          if (legend) { legend.style.fontSize = "{{ this.legend_px }}px"; }
          var lib = window.Streamlit;
          if (lib && !lib.psFitted) {
            var setHeight = lib.setFrameHeight.bind(lib);
            lib.psFitted = true;
            lib.setFrameHeight = function (h) { setHeight(window.psHeight || h); };
          }
          function fit() {
            var frame, view;
            try { frame = window.frameElement; view = window.parent.innerHeight; }
            catch (e) { return; }
            if (!frame || !view) { return; }
            var top = frame.getBoundingClientRect().top;
            var left = Math.floor(view - top - {{ this.margin }});
            if (left < {{ this.min_height }}) { left = view - {{ this.header }}; }
            var h = Math.max({{ this.min_height }}, Math.min({{ this.max_height }}, left));
            if (h === window.psHeight) { return; }
            window.psHeight = h;
            div.style.height = h + "px";
            var layers = div.querySelector(".leaflet-control-layers");
            if (layers && h < {{ this.collapse_below }}) {
              // a short map: the layer list folds into its button (open on hover)
              layers.classList.remove("leaflet-control-layers-expanded");
              if (!layers.psFolds) {
                layers.psFolds = true;
                layers.addEventListener("mouseenter", function () {
                  layers.classList.add("leaflet-control-layers-expanded");
                });
                layers.addEventListener("mouseleave", function () {
                  layers.classList.remove("leaflet-control-layers-expanded");
                });
              }
            }
            map.invalidateSize();
            var bounds = {{ this.bounds_json }};
            if (bounds) { map.fitBounds(bounds); }  // the whole area again, at the new size
            if (lib) { lib.setFrameHeight(h); }
          }
          fit();
          [200, 800, 2000].forEach(function (ms) { setTimeout(fit, ms); });
          try { window.parent.addEventListener("resize", fit); } catch (e) {}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        max_height: int,
        min_height: int = 240,
        margin: int = 12,
        header: int = 80,
        legend_px: int = 16,
        collapse_below: int = 480,
        bounds: list[list[float]] | None = None,
    ) -> None:
        super().__init__()
        self._name = "FitViewport"
        self.max_height = int(max_height)
        self.min_height = int(min_height)
        self.margin = int(margin)
        self.header = int(header)
        self.legend_px = int(legend_px)
        self.collapse_below = int(collapse_below)
        self.legend_id = LEGEND_ID
        self.bounds_json = json.dumps(bounds) if bounds else "null"


def fit_to_viewport(m: folium.Map, max_height: int) -> folium.Map:
    """Let ``m`` take the browser window's remaining height (presentation mode), fitted
    again to the bounds it was built with once resized."""
    fitted = [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]
    bounds = [[float(v) for v in corner] for corner in fitted[-1].bounds] if fitted else None
    FitViewport(max_height, bounds=bounds).add_to(m)
    return m


class MetricScale(branca.element.MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows feet and miles too)."""

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


#: The study area's outline as a FeatureCollection, per boundary object (the app's study
#: area is one cached object), so its packed form is remembered too.
_OUTLINES: dict[int, tuple[BaseGeometry, dict[str, Any]]] = {}


def _outline_collection(boundary: BaseGeometry) -> dict[str, Any]:
    hit = _OUTLINES.get(id(boundary))
    if hit is not None and hit[0] is boundary:
        return hit[1]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": boundary.__geo_interface__,
                "properties": {"colour": BOUNDARY_STYLE["color"], "label": ""},
            }
        ],
    }
    if len(_OUTLINES) > 8:
        _OUTLINES.clear()
    _OUTLINES[id(boundary)] = (boundary, collection)
    return collection


def build_map(
    centre: tuple[float, float],
    bounds: tuple[float, float, float, float],
    boundary: BaseGeometry,
    layers: Sequence[HexLayer],
    schools: Sequence[tuple[float, float, str, bool]] = (),
    tiles: str = "OpenStreetMap",
    leaflet_base: str = LEAFLET_BASE,
    view: View | None = None,
) -> folium.Map:
    """Build the folium map.

    Parameters
    ----------
    centre : (lat, lng)
        Initial centre (EPSG:4326).
    bounds : (min_lng, min_lat, max_lng, max_lat)
        Extent to fit.
    boundary : shapely geometry
        Study-area outline (EPSG:4326).
    layers : sequence of HexLayer
        Hex layers, drawn in order.
    schools : sequence of (lat, lng, name, is_alternative_provision)
        School markers; names are escaped here.
    tiles : str
        ``"OpenStreetMap"``, ``"none"`` (offline rooms) or a tile URL template.
    leaflet_base : str
        URL folder of the vendored ``leaflet.js`` and ``leaflet.css``. folium's other
        default assets (jQuery, Bootstrap, Font Awesome) are not needed and not loaded,
        so the map needs no network but for its tiles.
    view : View, optional
        Open at this view's centre and zoom instead of fitting ``bounds`` (a map that
        follows the viewer, :mod:`geo.render.viewport`).
    """
    m = folium.Map(
        location=list(view.centre if view else centre),
        zoom_start=view.zoom if view else 10,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
    )
    MetricScale().add_to(m)
    m.default_js = [("leaflet", f"{leaflet_base}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{leaflet_base}/leaflet.css")]
    if tiles.lower() == "openstreetmap":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    elif tiles.lower() != "none":
        folium.TileLayer(tiles=tiles, attr="Configured tiles", name="Basemap").add_to(m)
    PackedDecoder().add_to(m)
    PackedLayer(
        _outline_collection(boundary), "Study area", style=BOUNDARY_STYLE, interactive=False
    ).add_to(m)
    for layer in layers:
        PackedLayer(
            layer.geojson,
            layer.name,
            show=layer.show,
            style=OUTLINE_STYLE if layer.outline_only else FILL_STYLE,
            outline=layer.outline_only,
        ).add_to(m)
    if schools:
        # one GeoJSON layer (one template) instead of a marker element per school
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]},
                "properties": {
                    "label": escape_text(name) + (" (alternative provision)" if is_ap else ""),
                    "colour": "#e41a1c" if is_ap else "#377eb8",
                    "band": int(is_ap),
                    "value": None,
                    "cell": "",
                },
            }
            for lat, lng, name, is_ap in schools
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="Schools",
            marker=folium.CircleMarker(
                radius=5, weight=1, color="#000000", fill=True, fill_opacity=0.9
            ),
            style_function=lambda f: {
                "fillColor": f["properties"]["colour"],
                "radius": 7 if f["properties"]["band"] else 4,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    extra = (("#377eb8", "School"), ("#e41a1c", "Alternative provision")) if schools else ()
    legend = branca.element.Element(_legend_html([x for x in layers if x.show], extra))
    cast(Any, m.get_root()).html.add_child(legend)
    LegendControl().add_to(m)
    if view is None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m

"""The Bokeh document of one browser session of the viewer.

Left: the map (velocity or displacement of the period, or a 2-D dataset; mm/yr, mm) over the relief, with
the colour bar, faults, GNSS stations, the reference point (black square) and the chosen point (cross).
Right: the series (mm) of every product at the chosen point with its fitted line over the period, and the
rates (mm/yr +- std). Click the map, or type lat/lon, to choose the point; move the period slider (or type
YYYYMMDD dates) to change the fit and the map. Exports are written into the export folder and linked.

Models the tests read by name: ``map`` (figure), ``series_<i>`` and ``fit_<i>`` (column data sources of
product i: ``date`` YYYYMMDD, ``time`` ms, ``t`` decimal year, ``value`` mm), ``rates`` (``label``, ``rate``,
``std`` mm/yr, ``count``, ``start``, ``end``), ``point`` (lat, lon), ``period`` (slider), ``status`` (Div).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bokeh.events import Tap
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColorBar,
    ColumnDataSource,
    DateRangeSlider,
    Div,
    HoverTool,
    LinearColorMapper,
    Range1d,
    Select,
    TextInput,
)
from bokeh.plotting import figure

from mimtpy.core.dates import parse_date
from mimtpy.errors import InputError, MimtpyError
from mimtpy.viz.maps import SIGNED_CMAP
from mimtpy.viz.tsview import export
from mimtpy.viz.tsview.data import MapImage
from mimtpy.viz.tsview.viewer import PointSeries, Viewer

logger = logging.getLogger(__name__)

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
EXPORT_URL = "/exports"


def palette(name: str, n: int = 256) -> list[str]:
    """A matplotlib colormap as ``n`` hex colours (the plot step's colormap names)."""
    import matplotlib
    import matplotlib.colors as mcolors

    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise InputError(f"colormap '{name}' is not a matplotlib colormap") from None
    return [mcolors.to_hex(cmap(i / (n - 1))) for i in range(n)]


def _ms(date: str) -> float:
    """Milliseconds since 1970 of a YYYYMMDD date (Bokeh's datetime axis)."""
    return (parse_date(date) - dt.date(1970, 1, 1)).days * 86400e3


def _date_of(value) -> str:
    """YYYYMMDD of a slider value (ms since 1970, a date or a datetime)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=float(value))).strftime("%Y%m%d")


def _image_data(image: MapImage, relief: np.ndarray | None = None) -> dict:
    """Data of an image glyph: rows flipped so that the first row is the southern one."""
    w, e, s, n = image.extent
    values = image.values if image.grid.y_step > 0 else image.values[::-1]
    data = {"image": [np.ascontiguousarray(values, dtype=np.float32)], "x": [w], "y": [s], "dw": [e - w],
            "dh": [n - s]}
    if relief is not None:
        data["relief"] = [np.ascontiguousarray(relief if image.grid.y_step > 0 else relief[::-1], np.float32)]
    return data


class Session:
    """Widgets and callbacks of one browser session."""

    def __init__(self, viewer: Viewer, doc):
        self.viewer, self.doc = viewer, doc
        self.index = 0
        self.point: tuple[float, float] | None = None
        self.site: str | None = None
        self.points: list[PointSeries] = []
        dates = viewer.dates
        self.start = viewer.settings.start or (dates[0] if dates else None)
        self.end = viewer.settings.end or (dates[-1] if dates else None)
        self.kind = viewer.default_kind(0)
        self.image: MapImage | None = None
        self._wanted: tuple = ()
        self._syncing = False
        self._build(dates)

    # -- layout -------------------------------------------------------------------------------------------
    def _build(self, dates: list[str]) -> None:
        v = self.viewer
        labels = [s.label for s in v.sources]
        self.file_select = Select(title="Map of", value=labels[0], options=labels, width=260, name="file")
        self.kind_select = Select(title="Map", value=self.kind, options=list(v.sources[0].maps), width=160,
                                  name="kind")
        self.lat_input = TextInput(title="Latitude", width=110, name="lat")
        self.lon_input = TextInput(title="Longitude", width=110, name="lon")
        self.go = Button(label="Show point", width=100, name="go")
        self.status = Div(text="", width=900, name="status")
        self.rates_div = Div(text="", width=620, name="rates_text")
        self.exports = Div(text="", width=900, name="exports")
        buttons = [Button(label=text, width=120, name=name) for text, name in
                   (("Series CSV", "export_csv"), ("Series PNG", "export_png"), ("Map PNG", "export_map"))]
        for button, action in zip(buttons, (self.export_csv, self.export_png, self.export_map), strict=True):
            button.on_click(self._guard(action))
        widgets = [self.file_select, self.kind_select, self.lat_input, self.lon_input, self.go]
        if dates:
            self.slider = DateRangeSlider(title="Period", start=_ms(dates[0]), end=_ms(dates[-1]),
                                          value=(_ms(self.start), _ms(self.end)), step=1, format="%Y-%m-%d",
                                          width=420, name="period")
            self.start_input = TextInput(title="Start (YYYYMMDD)", value=self.start, width=120, name="start")
            self.end_input = TextInput(title="End (YYYYMMDD)", value=self.end, width=120, name="end")
            self.slider.on_change("value", self._changed(lambda n: self.on_period(n, False)))
            self.slider.on_change("value_throttled", self._changed(lambda n: self.on_period(n, True)))
            self.start_input.on_change("value", self._changed(lambda n: self.on_period_text()))
            self.end_input.on_change("value", self._changed(lambda n: self.on_period_text()))
            period = [self.slider, self.start_input, self.end_input]
        else:
            self.slider = None
            period = [Div(text="<i>no time series among the files: maps only</i>", width=400)]
        gnss_row = []
        if v.stations is not None:
            sites = [s for s, la, lo in zip(v.stations.site, v.stations.lat, v.stations.lon, strict=True)
                     if any(_inside(src.grid.snwe, la, lo) for src in v.sources)]
            self.gnss_select = Select(title="GNSS station", value="", options=["", *sites], width=140, name="gnss")
            self.gnss_select.on_change("value", self._changed(self.on_station))
            gnss_row = [self.gnss_select]
        self.file_select.on_change("value", self._changed(lambda n: self.on_file(labels.index(n))))
        self.kind_select.on_change("value", self._changed(self.on_kind))
        self.go.on_click(self._guard(self.on_typed_point))

        self._build_map()
        self._build_series()
        controls = column(row(*widgets, *gnss_row), row(*period), row(*buttons), self.status, self.exports)
        right = column(self.series_fig, self.rates_div)
        self.doc.add_root(column(controls, row(self.map_fig, right)))
        self.doc.add_root(self.rates)                 # not drawn: the rates as numbers, for scripts and tests
        self.doc.title = "mimtpy tsview"
        self._guard(self.draw_map)()

    def _build_map(self) -> None:
        v = self.viewer
        source = v.sources[0]
        s, n, w, e = source.grid.snwe
        height = 520
        aspect = (e - w) * math.cos(math.radians((s + n) / 2)) / (n - s) if source.grid.epsg == 4326 \
            else (e - w) / (n - s)
        width = int(min(760, max(260, height * aspect)))
        fig = figure(name="map", x_range=Range1d(w, e), y_range=Range1d(s, n), frame_width=width,
                     frame_height=height, tools="pan,wheel_zoom,box_zoom,reset", toolbar_location="above",
                     x_axis_label="Longitude (deg)", y_axis_label="Latitude (deg)")
        self.mapper = LinearColorMapper(palette=palette(v.settings.cmap or SIGNED_CMAP), low=-1, high=1,
                                        nan_color=(0, 0, 0, 0))
        self.relief_source = ColumnDataSource({"relief": [], "x": [], "y": [], "dw": [], "dh": []})
        fig.image(image="relief", x="x", y="y", dw="dw", dh="dh", source=self.relief_source,
                  color_mapper=LinearColorMapper(palette="Greys256", low=0, high=1))
        self.map_source = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []}, name="map_image")
        self.map_glyph = fig.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.map_source,
                                   color_mapper=self.mapper)
        fig.add_tools(HoverTool(renderers=[self.map_glyph], tooltips=[("value", "@image{0.00}"),
                                                                      ("lon, lat", "$x{0.00000}, $y{0.00000}")]))
        self.colorbar = ColorBar(color_mapper=self.mapper, title="", width=14)
        fig.add_layout(self.colorbar, "right")
        self.lines_source = ColumnDataSource({"xs": [], "ys": []})
        fig.multi_line("xs", "ys", source=self.lines_source, line_color=v.settings.fcolor, line_width=1.5)
        self.ref_source = ColumnDataSource({"x": [], "y": []})
        fig.scatter("x", "y", source=self.ref_source, marker="square", size=8, color="black")
        if v.stations is not None:
            gnss = ColumnDataSource({"x": list(v.stations.lon), "y": list(v.stations.lat),
                                     "site": list(v.stations.site), "ve": list(v.stations.ve * 1e3),
                                     "vn": list(v.stations.vn * 1e3), "vu": list(v.stations.vu * 1e3)}, name="stations")
            shown = fig.scatter("x", "y", source=gnss, marker="triangle", size=10, fill_color="white",
                                line_color="black")
            fig.add_tools(HoverTool(renderers=[shown], tooltips=[("site", "@site"), ("vE, vN, vU (mm/yr)",
                                                                                      "@ve{0.1}, @vn{0.1}, @vu{0.1}")]))
        self.point_source = ColumnDataSource({"x": [], "y": []}, name="point")
        fig.scatter("x", "y", source=self.point_source, marker="x", size=16, line_width=3, color="black")
        fig.on_event(Tap, lambda event: self._run(self.show_point, event.y, event.x))
        self.map_fig = fig

    def _build_series(self) -> None:
        fig = figure(name="series_plot", x_axis_type="datetime", width=620, height=420,
                     tools="pan,wheel_zoom,box_zoom,reset,save", y_axis_label="LOS displacement (mm)",
                     title="click the map or type lat/lon")
        self.series_sources, self.fit_sources, self.gnss_sources = [], [], []
        for i, source in enumerate(self.viewer.sources):
            colour = COLOURS[i % len(COLOURS)]
            data = ColumnDataSource({"date": [], "time": [], "t": [], "value": []}, name=f"series_{i}")
            fit = ColumnDataSource({"time": [], "value": []}, name=f"fit_{i}")
            gnss = ColumnDataSource({"time": [], "value": []}, name=f"gnss_{i}")
            if source.has_series:
                fig.scatter("time", "value", source=data, size=5, color=colour, legend_label=source.label)
                fig.line("time", "value", source=fit, color=colour, line_width=2)
                fig.line("time", "value", source=gnss, color=colour, line_width=2, line_dash="dashed")
            self.series_sources.append(data)
            self.fit_sources.append(fit)
            self.gnss_sources.append(gnss)
        if fig.legend:
            fig.legend.location = "top_left"
            fig.legend.label_text_font_size = "8pt"
        fig.add_tools(HoverTool(tooltips=[("date", "@date"), ("mm", "@value{0.00}")]))
        self.rates = ColumnDataSource({"label": [], "rate": [], "std": [], "count": [], "start": [], "end": []},
                                      name="rates")
        self.series_fig = fig

    # -- callbacks ----------------------------------------------------------------------------------------
    def _run(self, action: Callable, *args) -> None:
        """Run a callback; a MimtpyError becomes the status line (in red), anything else is logged."""
        try:
            self.status.text = ""
            action(*args)
        except MimtpyError as err:
            self.say(str(err), error=True)
        except Exception as err:  # a browser callback must not take the session down
            logger.exception("tsview callback failed")
            self.say(f"internal error: {err}", error=True)

    def _guard(self, action: Callable) -> Callable:
        """A button callback (no argument) run by :meth:`_run`."""
        def clicked() -> None:
            self._run(action)
        return clicked

    def _changed(self, action: Callable) -> Callable:
        """A property callback (attr, old, new) calling ``action(new)`` through :meth:`_run`."""
        def changed(attr, old, new) -> None:
            self._run(action, new)
        return changed

    def say(self, text: str, error: bool = False) -> None:
        colour = "#b00" if error else "#333"
        self.status.text = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def draw_map(self) -> None:
        """Show the current map: at once when it is cached or cheap to read; else the displacement of the period
        (two epochs) at once and the velocity, read in a background thread, when it is ready."""
        v = self.viewer
        wanted = (self.index, self.kind, self.start, self.end)
        self._wanted = wanted
        if self.kind != "velocity" or v.is_quick(*wanted):
            self.show_image(v.map(*wanted))
            return
        self.show_image(v.map(self.index, "displacement", self.start, self.end),
                        " (velocity being computed: displacement of the period meanwhile)")

        def work() -> None:
            try:
                image, error = v.map(*wanted), None
            except MimtpyError as err:
                image, error = None, err
            except Exception as err:  # a thread must report, not die silently
                logger.exception("tsview: the velocity map failed")
                image, error = None, err
            try:
                self.doc.add_next_tick_callback(lambda: self._run(self._finish, wanted, image, error))
            except Exception:         # the session closed meanwhile
                logger.debug("tsview: session closed before its map was ready")

        threading.Thread(target=work, name="tsview-map", daemon=True).start()

    def _finish(self, wanted: tuple, image: MapImage | None, error: Exception | None) -> None:
        if wanted != self._wanted:    # the user asked for another map meanwhile
            return
        if error is not None:
            raise error
        self.show_image(image)

    def show_image(self, image: MapImage, note: str = "") -> None:
        """Draw ``image`` with its colour scale, relief, faults and reference point."""
        v = self.viewer
        self.image = image
        relief = v.relief(self.index, image)
        self.map_source.data = _image_data(image)
        self.relief_source.data = ({k: d for k, d in _image_data(image, relief).items() if k != "image"}
                                   if relief is not None else {"relief": [], "x": [], "y": [], "dw": [], "dh": []})
        self.map_glyph.glyph.global_alpha = 0.8 if relief is not None else 1.0
        scale = v.scale(image)
        self.mapper.low, self.mapper.high = scale.vmin, scale.vmax
        self.mapper.palette = palette(scale.cmap)
        self.colorbar.title = image.unit
        self.map_fig.title.text = image.title + (f" (every {image.k}th pixel)" if image.k > 1 else "") + note
        w, e, s, n = image.extent
        self.map_fig.x_range.update(start=w, end=e)
        self.map_fig.y_range.update(start=s, end=n)
        lines = v.lines(self.index)
        self.lines_source.data = {"xs": [list(p[:, 0]) for p in lines], "ys": [list(p[:, 1]) for p in lines]}
        self.ref_source.data = {"x": [image.ref[1]], "y": [image.ref[0]]} if image.ref else {"x": [], "y": []}

    def on_file(self, index: int) -> None:
        self.index = index
        maps = list(self.viewer.sources[index].maps)
        self.kind = self.kind if self.kind in maps else maps[0]
        self.kind_select.options = maps
        self.kind_select.value = self.kind
        self.draw_map()

    def on_kind(self, kind: str) -> None:
        self.kind = kind
        self.draw_map()

    def on_period(self, value, redraw: bool) -> None:
        start, end = (_date_of(x) for x in value)
        if (start, end) != (self.start, self.end):
            self.start, self.end = start, end
            self._syncing = True       # the inputs follow the slider without acting themselves
            try:
                self.start_input.value, self.end_input.value = start, end
            finally:
                self._syncing = False
        self.update_rates()
        if redraw and self.kind in ("velocity", "displacement"):
            self.draw_map()

    def on_period_text(self) -> None:
        if self._syncing:
            return
        start = parse_date(self.start_input.value, "start date").strftime("%Y%m%d")
        end = parse_date(self.end_input.value, "end date").strftime("%Y%m%d")
        if end <= start:
            raise InputError(f"period end {end} is not after its start {start}")
        if (start, end) == (self.start, self.end):
            return
        self.start, self.end = start, end
        self.slider.value = (_ms(start), _ms(end))
        self.update_rates()
        if self.kind in ("velocity", "displacement"):
            self.draw_map()

    def on_typed_point(self) -> None:
        try:
            lat, lon = float(self.lat_input.value), float(self.lon_input.value)
        except ValueError:
            raise InputError(f"latitude '{self.lat_input.value}' and longitude '{self.lon_input.value}' must be "
                             "numbers in degrees") from None
        self.show_point(lat, lon)

    def on_station(self, site: str) -> None:
        if not site:
            return
        stations = self.viewer.stations
        k = stations.site.index(site)
        self.show_point(float(stations.lat[k]), float(stations.lon[k]), site)

    def show_point(self, lat: float, lon: float, site: str | None = None) -> None:
        """Read every product's series at (lat, lon) and show them with their rates."""
        self.point = (lat, lon)
        self.site = site
        self.lat_input.value, self.lon_input.value = f"{lat:.6f}", f"{lon:.6f}"
        self.point_source.data = {"x": [lon], "y": [lat]}
        self.points = self.viewer.series_at(lat, lon)
        messages = []
        for i, p in enumerate(self.points):
            if p.dates:
                self.series_sources[i].data = {"date": list(p.dates), "time": [_ms(d) for d in p.dates],
                                               "t": list(p.t), "value": list(p.values * 1e3)}
            else:
                self.series_sources[i].data = {"date": [], "time": [], "t": [], "value": []}
            if p.message:
                messages.append(p.message)
        self.series_fig.title.text = f"lat {lat:.5f}, lon {lon:.5f}" + (f" (GNSS {site})" if site else "")
        self.update_rates()
        if messages:
            self.say("; ".join(messages), error=not any(p.ok for p in self.points))

    def update_rates(self) -> None:
        """Fit every series over the period; show the lines and a table of the rates (and a GNSS station's LOS
        rate beside the product's when a station is chosen)."""
        rows = {"label": [], "rate": [], "std": [], "count": [], "start": [], "end": []}
        cells, notes = [], []
        for i, p in enumerate(self.points):
            self.fit_sources[i].data = {"time": [], "value": []}
            self.gnss_sources[i].data = {"time": [], "value": []}
            if not p.dates:
                continue
            try:
                rate = p.rate(self.start, self.end)
            except InputError as err:
                notes.append(str(err))
                continue
            index = [k for k, d in enumerate(p.dates) if self.start <= d <= self.end]
            first, last = index[0], index[-1]
            t = p.t[[first, last]]
            ends = [_ms(p.dates[first]), _ms(p.dates[last])]
            if np.isfinite(rate.rate):
                self.fit_sources[i].data = {"time": ends,
                                            "value": list((rate.intercept + rate.rate * (t - rate.t0)) * 1e3)}
            for key, value in (("label", p.label), ("rate", rate.rate * 1e3), ("std", rate.std * 1e3),
                               ("count", rate.count), ("start", p.dates[first]), ("end", p.dates[last])):
                rows[key].append(value)
            shown = (f"<b>{rate.rate * 1e3:.2f} ± {rate.std * 1e3:.2f}</b>" if np.isfinite(rate.rate) else
                     f"no rate ({rate.count} valid epochs)")
            gnss = ""
            los = self.viewer.gnss_los(i).get(self.site) if self.site else None
            if los is not None and np.isfinite(rate.rate):
                self.gnss_sources[i].data = {"time": ends, "value": list((rate.intercept + los * (t - rate.t0)) * 1e3)}
                gnss = f"{self.site}: {los * 1e3:.2f} (dashed)"
            cells.append((p.label, shown, rate.count, f"{p.dates[first]}–{p.dates[last]}", gnss))
        self.rates.data = rows
        if not self.points:
            self.rates_div.text = ""
            return
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in
                       ("file", "rate ± std (mm/yr)", "epochs", "period", "GNSS LOS (mm/yr)"))
        body = "".join("<tr>" + "".join(f"<td style='padding:2px 8px'>{c if k == 1 else html.escape(str(c))}</td>"
                                        for k, c in enumerate(cell)) + "</tr>" for cell in cells)
        note = "".join(f"<div style='color:#b00'>{html.escape(n)}</div>" for n in notes)
        self.rates_div.text = (f"<table style='border-collapse:collapse;font-size:13px'><tr>{head}</tr>{body}</table>"
                               f"{note}")

    # -- exports ------------------------------------------------------------------------------------------
    def _need_point(self) -> tuple[float, float]:
        if self.point is None:
            raise InputError("choose a point first (click the map or type lat/lon)")
        return self.point

    def _link(self, path: Path) -> None:
        self.exports.text = (f'wrote {html.escape(str(path))} '
                             f'(<a href="{EXPORT_URL}/{path.name}" target="_blank" download>download</a>)')

    def export_csv(self) -> None:
        lat, lon = self._need_point()
        out = self.viewer.settings.export_dir / f"series_{export.point_name(lat, lon)}.csv"
        self._link(export.write_series_csv(self.points, lat, lon, out))

    def export_png(self) -> None:
        lat, lon = self._need_point()
        out = self.viewer.settings.export_dir / f"series_{export.point_name(lat, lon)}.png"
        self._link(export.write_series_png(self.points, lat, lon, self.start, self.end, out))

    def export_map(self) -> None:
        if self.image is None:
            raise InputError("no map to export")
        period = f"_{self.start}_{self.end}" if self.kind in ("velocity", "displacement") else ""
        name = f"map_{Path(self.viewer.sources[self.index].path).stem}_{self.kind}{period}.png"
        out = self.viewer.settings.export_dir / name
        relief = self.viewer.relief(self.index, self.image)
        self._link(export.write_map_png(self.image, self.viewer.limits(self.image), self.viewer.settings.style,
                                        self.viewer.lines(self.index), self.point, out, relief))


def _inside(snwe: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    s, n, w, e = snwe
    return s < lat < n and w < lon < e


def make_document(viewer: Viewer) -> Callable:
    """The Bokeh application function: one :class:`Session` per browser page."""
    def build(doc) -> None:
        Session(viewer, doc)
    return build

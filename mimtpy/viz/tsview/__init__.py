"""The time-series viewer in the browser (``tsview.py``, the ``view`` step): a Bokeh server page.

* :mod:`.data`: lazy reading (one pixel's series, one decimated map), rates over a period (no Bokeh);
* :mod:`.export`: CSV and PNG of a clicked series, PNG of the current map (matplotlib);
* :mod:`.page`: the Bokeh document of one browser session;
* :mod:`.server`: the Bokeh server embedded in this process, on 127.0.0.1.
"""

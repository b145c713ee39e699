"""The interactive explorer: a page per run that opens from disk and shows every embedded
face (Bokeh views, points drawn by the page, thumbnails packed into sprite sheets)."""

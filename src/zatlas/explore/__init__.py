"""The interactive explorer: a page per run that opens from disk and shows every embedded
face (WebGL scatters through Bokeh, thumbnails packed into sprite sheets)."""

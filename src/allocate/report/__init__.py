"""Reports: an allocation and a problem as text, Markdown and HTML."""

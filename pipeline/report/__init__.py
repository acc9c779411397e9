"""The public audit report: a view-model built in Python, Jinja2 partials, WeasyPrint PDF/UA."""

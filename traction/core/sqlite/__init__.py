"""Django's SQLite backend with a leaner datetime conversion (ENGINE ``traction.core.sqlite``)."""

"""The pages: Chinese, server-rendered with Jinja2 autoescape (`routes`), the templates and static
assets they use (``web/templates``, ``web/static``), and the routes' helpers."""

"""The catalog site: build, page contexts, pages, texts and charts (templates in ``site_templates/``)."""

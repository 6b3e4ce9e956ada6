"""Test-only CKAN plugin: replace the package search index with CKAN's own no-op index.

There is no Apache Solr where the tests run. Without one, ``package_create`` fails with
SearchIndexError; with this plugin, create/show/patch/update/delete/purge and uploads work, while
``package_search``, ``organization_show`` and the web pages still fail. Never install it on a portal.
"""

import ckan.lib.search as search
import ckan.plugins as plugins
from ckan.lib.search.index import NoopSearchIndex


class NoSolrPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)

    def update_config(self, config):
        search._INDICES["package"] = NoopSearchIndex

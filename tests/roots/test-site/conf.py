"""A book of three pages, for what wpsr.sphinx_ext's webpage module writes into every page and
beside them: canonical links, share images and the sitemap (tests/test_readers.py). The data,
editions and review record are the report's, copied in by the `root_app` fixture."""

extensions = ["myst_nb", "sphinx_design", "wpsr.sphinx_ext"]
html_theme = "sphinx_book_theme"
html_theme_options = {"use_download_button": True, "use_fullscreen_button": False}  # as _config.yml sets them
html_show_sourcelink = False
myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
exclude_patterns = ["_build", "node_modules", "data"]
wpsr_checked = True  # the data was checked before Sphinx started (it is the report's own)

"""A book of one chapter, three hostile contributions and a team page, for the gate of wpsr.sphinx_ext
(tests/test_gate.py). The data, editions and review record are the report's, copied in by the
`root_app` fixture."""

extensions = ["myst_nb", "sphinx_design", "wpsr.sphinx_ext"]
html_theme = "sphinx_book_theme"
myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
myst_title_to_header = True  # a contribution's title is its front matter's `title`, as in the book
exclude_patterns = ["_build", "node_modules", "data"]
wpsr_preview = True  # a preview, as an author builds: each refusal is a warning at its line, the page is built
wpsr_checked = True  # the data was checked before Sphinx started (it is the report's own)
html_theme_options = {"use_download_button": True, "use_fullscreen_button": False}  # as _config.yml sets them
html_show_sourcelink = False

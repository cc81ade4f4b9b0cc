"""One page and its French catalog, for the i18n transform's passages (tests/test_languages.py): each
kind of passage, plain or marked up, read by Sphinx's own parse and by wpsr.sphinx_ext.passages."""

extensions = ["myst_nb", "wpsr.sphinx_ext.passages"]
myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
exclude_patterns = ["_build"]
language = "fr"
locale_dirs = ["locales/"]
gettext_compact = False
nb_execution_mode = "off"

"""Page sections: the parts of a page that are more than layout (a tab, a panel, an
expander of tables), drawn from a :class:`ui.context.PageContext`, so that the page
scripts in ``pages/`` stay thin."""

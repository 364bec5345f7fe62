"""pages: the view models a theme renders -- page stamp, history and version pages, feeds, translation notices, labels."""

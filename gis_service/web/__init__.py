"""Plain HTML pages for browser users (the portal); every value is escaped on the way in."""

"""Quick replies (canned responses): texts agents insert by shortcut or from a list."""

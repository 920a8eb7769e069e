"""Pages of deaths and benefits (a package: the claims add their own module)."""

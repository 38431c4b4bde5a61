"""Partner network: make-or-buy routing, federation request signing and the federation client."""

"""distlab's Hydra configs, shipped inside the package so that any install finds them."""

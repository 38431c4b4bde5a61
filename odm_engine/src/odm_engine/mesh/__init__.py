"""Mesh loading and limits, units, repair, geometry and DFM metrics, thumbnails."""

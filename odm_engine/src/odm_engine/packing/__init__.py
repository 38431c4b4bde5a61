"""Build jobs: 2D nesting on plates, 3D packing in powder chambers, grouping of work."""

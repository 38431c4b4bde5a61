"""ODM for Odoo's domain engines: plain Python, no Odoo import.

One distribution, imported under this one name everywhere (the Odoo addons, the ``odm-quote``
command, benchmarks and tests):

- ``mesh``: loading (STL, 3MF, OBJ, PLY, glTF, STEP/IGES), limits, units, repair, geometry and
  DFM analysis, thumbnails;
- ``pricing``: process cost models, commercial rules, process comparison, quote-vs-actual
  statistics and recalibration;
- ``slicing``: PrusaSlicer integration (precise quotes, machine job files) and its profiles;
- ``scheduling``: quote-to-routing arithmetic and the finite-capacity scheduler;
- ``packing``: build jobs (2D plate nesting, 3D chamber packing, grouping);
- ``network``: make-or-buy routing, federation request signing and client;
- ``machines``: machine protocol connectors, parallel polling, machine matching, job files;
- ``service`` and ``cli``: the upload pipeline and report shared by Odoo and ``odm-quote``.
"""

# Engines are plain Python (tests import them without Odoo); the glue loads only inside Odoo.
if __name__.startswith("odoo.addons."):
    from . import models

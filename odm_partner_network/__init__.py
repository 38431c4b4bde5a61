# Domain engines of this addon are plain Python; the Odoo glue loads only inside Odoo.
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards

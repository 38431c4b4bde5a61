# Copyright 2026 ODM for Odoo contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "ODM Machine Link",
    "summary": "Dispatch work orders to real machines and bring their status back",
    "version": "18.0.2.1.0",
    "category": "Manufacturing/On-Demand Manufacturing",
    "website": "https://github.com/odm-for-odoo/odm",
    "author": "ODM for Odoo contributors",
    "license": "LGPL-3",
    "depends": ["odm_mrp", "maintenance", "queue_job"],
    "external_dependencies": {
        "python": [
            "odm-engine>=18.0.2",
            "asyncua",
            "cadquery-ocp-novtk",
            "cryptography",
            "defusedxml",
            "numpy",
            "paho-mqtt",
            "psycopg2",
            "requests",
            "scipy",
            "urllib3",
        ],
        "bin": ["prusa-slicer"],
    },
    "data": [
        "security/odm_machine_link_security.xml",
        "security/ir.model.access.csv",
        "security/odm_machine_link_company_rules.xml",
        "data/odm_machine_link_data.xml",
        "views/odm_machine_views.xml",
        "views/odm_machine_job_views.xml",
        "views/odm_machine_job_outcome_views.xml",
        "views/mrp_workorder_views.xml",
        "views/odm_machine_link_menus.xml",
    ],
    "demo": ["demo/odm_machine_link_demo.xml"],
    "assets": {
        "web.assets_backend": ["odm_machine_link/static/src/js/**/*"],
        "web.assets_tests": ["odm_machine_link/static/tests/tours/**/*"],
    },
}

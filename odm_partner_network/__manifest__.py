# Copyright 2026 ODM for Odoo contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "ODM Partner Network",
    "summary": "Share capacity with partner manufacturers and route work to the best one",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/On-Demand Manufacturing",
    "website": "https://github.com/odm-for-odoo/odm",
    "author": "ODM for Odoo contributors",
    "license": "LGPL-3",
    "depends": ["odm_mrp", "mrp_subcontracting", "purchase"],
    "data": [
        "security/odm_partner_network_security.xml",
        "security/ir.model.access.csv",
        "data/odm_certification_data.xml",
        "views/odm_certification_views.xml",
        "views/odm_partner_capability_views.xml",
        "data/ir_cron_data.xml",
        "views/odm_partner_capacity_views.xml",
        "views/odm_partner_rate_views.xml",
        "views/odm_partner_agreement_views.xml",
        "views/res_partner_views.xml",
        "views/mrp_production_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/odm_make_or_buy_wizard_views.xml",
        "views/odm_partner_network_menus.xml",
        "data/odm_federation_data.xml",
        "views/odm_federation_peer_views.xml",
        "views/odm_federation_order_views.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
    ],
}

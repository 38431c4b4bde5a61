import math
from collections import Counter

import numpy as np
from markupsafe import Markup

from odoo import api, fields, models

from odm_engine.packing import build_jobs, nesting, packing3d

from .odm_machine import CHAMBER_TECHNOLOGIES, PLATE_TECHNOLOGIES
from .sale_order import STARTED_WORKORDER_STATES

# Work orders that may still join or leave a build job.
UNSTARTED_WORKORDER_STATES = ("pending", "waiting", "ready")
# A resin printer exposes every part of a layer at once: the tallest part sets the run.
SIMULTANEOUS_TECHNOLOGIES = ("sla",)
# Colours of the work orders in the layout drawing, in turn.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


class OdmBuildJob(models.Model):
    """One machine run of a batch process: several orders' parts on one plate or in one chamber.

    ``regroup`` packs unstarted machine steps of additive processes into runs with the build job
    engine; the planner then books each job once on a machine (see ``_run_seconds`` and
    ``_eligible_workcenters``) and writes its dates on the member work orders.
    """

    _name = "odm.build.job"
    _description = "Build Job"
    _order = "date_due, id"

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    process_id = fields.Many2one("odm.process", required=True, readonly=True, ondelete="restrict")
    technology = fields.Selection(related="process_id.technology", store=True)
    material_id = fields.Many2one("odm.material", required=True, readonly=True, ondelete="restrict")
    machine_id = fields.Many2one(
        "odm.machine",
        "Packed for",
        required=True,
        readonly=True,
        ondelete="cascade",
        help="The machine whose plate or chamber the layout was packed in.",
    )
    workorder_ids = fields.One2many(
        "mrp.workorder", "odm_build_job_id", "Work orders", readonly=True
    )
    state = fields.Selection(
        [
            ("draft", "Not started"),
            ("running", "Running"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        compute="_compute_state",
        store=True,
        index=True,
    )
    utilisation = fields.Float(
        "Utilisation (%)",
        readonly=True,
        aggregator="avg",
        help="Plates: the parts' footprint area over the usable plate area. Chambers: the parts' "
        "volume over the usable floor times the build height.",
    )
    build_height_mm = fields.Float(
        "Build height (mm)",
        readonly=True,
        help="Chambers: the height of the packed parts. Plates: the tallest part as it is built.",
    )
    layout = fields.Json(
        "Layout data", readonly=True, help="Where each copy of each work order's part lies."
    )
    layout_svg = fields.Html("Layout", compute="_compute_layout_svg", sanitize=False)
    part_count = fields.Integer("Parts", compute="_compute_part_count", store=True)
    date_due = fields.Date("Earliest due", readonly=True)
    date_start = fields.Datetime(
        "Planned start", compute="_compute_planned", store=True, help="As the planner booked it."
    )
    date_finished = fields.Datetime("Planned end", compute="_compute_planned", store=True)
    planned_workcenter_id = fields.Many2one(
        "mrp.workcenter",
        "Planned machine",
        compute="_compute_planned",
        store=True,
        help="The work center the planner put the run on.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("odm.build.job")
        return super().create(vals_list)

    @api.depends("workorder_ids.state")
    def _compute_state(self):
        for job in self:
            states = set(job.workorder_ids.mapped("state")) - {"cancel"}
            if not states:
                job.state = "cancel"
            elif states <= {"done"}:
                job.state = "done"
            elif states & set(STARTED_WORKORDER_STATES):
                job.state = "running"
            else:
                job.state = "draft"

    @api.depends("layout")
    def _compute_part_count(self):
        for job in self:
            job.part_count = len((job.layout or {}).get("placements", []))

    @api.depends(
        "workorder_ids.date_start", "workorder_ids.date_finished", "workorder_ids.workcenter_id"
    )
    def _compute_planned(self):
        for job in self:
            planned = job.workorder_ids.filtered("date_start")
            job.date_start = min(planned.mapped("date_start"), default=False)
            job.date_finished = max(planned.mapped("date_finished"), default=False)
            job.planned_workcenter_id = planned[:1].workcenter_id

    @api.depends("layout", "workorder_ids.production_id.name")
    def _compute_layout_svg(self):
        for job in self:
            layout = job.layout or {}
            colours = {
                workorder.id: (PALETTE[index % len(PALETTE)], workorder.production_id.name)
                for index, workorder in enumerate(job.workorder_ids.sorted("id"))
            }
            if layout.get("kind") == "plate":
                job.layout_svg = _plate_svg(layout, colours)
            elif layout.get("kind") == "chamber":
                job.layout_svg = _chamber_svg(layout, colours)
            else:
                job.layout_svg = False

    # ------------------------------------------------------------------ grouping
    def action_regroup(self):
        """The list's button (whatever is selected): regroups every unstarted machine step."""
        self.regroup()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def regroup(self):
        """Packs every unstarted additive machine step into build jobs again; returns the jobs.

        Jobs none of whose work orders has started are dissolved (a job with the same members
        comes back as the same record, so regrouping an unchanged shop changes nothing); started
        jobs keep their work orders. A job holds whole work orders: one whose copies the packer
        spreads over several runs runs alone, and the runs it left are packed again without it.
        A run of a single work order is no build job.
        """
        started = self.search([("workorder_ids.state", "in", STARTED_WORKORDER_STATES)])
        dissolving = self.search([("id", "not in", started.ids)])
        workorders = self._groupable_workorders() - started.workorder_ids
        machines = self.env["odm.machine"].search(
            [
                ("workcenter_id", "in", workorders.workcenter_id.ids),
                ("technology", "in", PLATE_TECHNOLOGIES + CHAMBER_TECHNOLOGIES),
            ]
        )
        # A machine that cannot take work now (offline, under maintenance) gets no plate: its
        # work orders are planned one by one on the machines that can, instead of waiting in a
        # job packed for it.
        machines = machines.filtered(lambda machine: not machine._odm_plan_blocker())
        machine_of = {machine.workcenter_id: machine for machine in machines}
        workorders = workorders.filtered(lambda workorder: workorder.workcenter_id in machine_of)
        items = self._work_items(workorders, machine_of)
        machine_types = [_machine_type(machine) for machine in machines]
        runs = _whole_runs(items, machine_types, build_jobs.DEFAULT_DUE_WINDOW)
        by_members = {frozenset(job.workorder_ids.ids): job for job in dissolving}
        jobs = self.browse()
        for run in runs:
            members = self.env["mrp.workorder"].browse(sorted(run.copies))
            values = self._values_from_run(
                run, members, self.env["odm.machine"].browse(run.machine_type)
            )
            job = by_members.pop(frozenset(members.ids), None)
            if job:
                job.write(values)
            else:
                job = self.create(values)
                members.odm_build_job_id = job
            jobs |= job
        self.browse([job.id for job in by_members.values()]).unlink()
        return started | jobs

    @api.model
    def _groupable_workorders(self):
        """Unstarted machine steps of confirmed quoted parts' orders that never ran: a step
        with time logged made some of its copies already (a run, a plate with bad parts), and
        packing it again would make its whole quantity; what it lacks runs on its own."""
        return self.env["mrp.workorder"].search(
            [
                ("state", "in", UNSTARTED_WORKORDER_STATES),
                ("time_ids", "=", False),
                ("production_id.state", "in", ("confirmed", "progress")),
                ("production_id.bom_id.odm_quote_id", "!=", False),
                ("operation_id.odm_duration_mode", "=", "machine"),
            ],
            order="id",
        )

    @api.model
    def _work_items(self, workorders, machine_of):
        """The engine's view of each work order: its part's footprint or box, quantity, due."""
        items = []
        for workorder in workorders:
            production = workorder.production_id
            quote = production.bom_id.odm_quote_id
            part = quote.part_id
            machine = machine_of[workorder.workcenter_id]
            shape = {}
            if machine.technology in PLATE_TECHNOLOGIES:
                shape["footprint"] = part._odm_plate_footprint()
            else:
                shape["box"], shape["part_volume_mm3"] = _box(part)
            items.append(
                build_jobs.WorkItem(
                    key=workorder.id,
                    process=quote.process_id.id,
                    material=quote.material_id.id,
                    machine_type=machine.id,
                    due=production.date_deadline.date() if production.date_deadline else None,
                    quantity=math.ceil(production.product_qty),
                    **shape,
                )
            )
        return items

    @api.model
    def _values_from_run(self, run, members, machine):
        if run.plate is not None:
            layout = _plate_layout(run.plate, machine)
            height = max(_part_height(workorder) for workorder in members)
        else:
            layout = _chamber_layout(run.chamber, machine)
            height = run.build_height_mm
        return {
            "process_id": run.process,
            "material_id": run.material,
            "machine_id": machine.id,
            "utilisation": round(run.utilisation * 100, 2),
            "build_height_mm": height,
            "layout": layout,
            "date_due": run.earliest_due or False,
        }

    # ------------------------------------------------------------------ for the planner
    def _run_seconds(self, workcenter):
        """Seconds the run takes on ``workcenter``, from the members' expected durations there
        (their own where they are booked, Odoo's estimate on any other work center).

        FDM prints the parts one layer stack after another and SLS/MJF sinter a chamber whose
        time the quotes share out among the parts: the members' times add up. SLA exposes the
        whole plate each layer: the longest member sets the run.
        """
        self.ensure_one()
        seconds = [
            60
            * (
                workorder.duration_expected
                if workorder.workcenter_id == workcenter
                else workorder._get_duration_expected(alternative_workcenter=workcenter)
            )
            for workorder in self.workorder_ids
            if workorder.state != "cancel"
        ]
        if self.technology in SIMULTANEOUS_TECHNOLOGIES:
            return max(seconds, default=0.0)
        return sum(seconds)

    def _eligible_workcenters(self):
        """Work centers of the machines with the job's process and material that hold its
        layout as packed: for plates the bounding box of the placed footprints, turned either
        way, inside the usable plate and the tallest part under the build height; for chambers
        the packed boxes inside the usable chamber (same axes)."""
        self.ensure_one()
        machines = self.env["odm.machine"].search(
            [("process_id", "=", self.process_id.id), ("material_ids", "in", self.material_id.id)]
        )
        return machines.filtered(self._fits_on).workcenter_id

    def _fits_on(self, machine):
        room = np.array(machine._packing_envelope()) - 2 * machine.plate_margin_mm
        placements = self.layout["placements"]
        if self.layout["kind"] == "chamber":
            extent = np.max([np.add(p["position"], p["size"]) for p in placements], axis=0)
            return bool(np.all(extent <= room + nesting.TOLERANCE_MM))
        points = np.vstack([p["outline"] for p in placements])
        width, depth = np.ptp(points, axis=0) - nesting.TOLERANCE_MM
        turns = ((width, depth), (depth, width))
        return machine.build_z_mm >= self.build_height_mm and any(
            w <= room[0] and d <= room[1] for w, d in turns
        )


def _whole_runs(items, machine_types, due_window):
    """The engine's runs, keeping whole work items only.

    An item the packer spreads over runs (or leaves partly unplaced) is taken out, and every run
    it was in is packed again without it, so each kept run's layout is the one built. The items
    taken out get a second chance among themselves, where they may fit whole.
    """
    by_key = {item.key: item for item in items}
    plan = build_jobs.plan_build_jobs(items, machine_types, due_window)
    runs_of = Counter(key for run in plan.jobs for key in run.copies)
    split = {key for key, runs in runs_of.items() if runs > 1}
    split |= {missing.key for missing in plan.unplanned}
    whole = []
    for run in plan.jobs:
        kept = [by_key[key] for key in run.copies if key not in split]
        if len(kept) == len(run.copies):
            if len(kept) > 1:
                whole.append(run)
        elif len(kept) > 1:
            whole.extend(_whole_runs(kept, machine_types, due_window))
    taken_out = [item for item in items if item.key in split]
    if 1 < len(taken_out) < len(items):
        whole.extend(_whole_runs(taken_out, machine_types, due_window))
    return whole


def _machine_type(machine):
    """The engine's plate or chamber of a machine, with its margin and spacing."""
    gaps = {"margin_mm": machine.plate_margin_mm, "spacing_mm": machine.part_spacing_mm}
    if machine.technology in CHAMBER_TECHNOLOGIES:
        chamber = packing3d.Chamber(
            machine.build_x_mm, machine.build_y_mm, machine.build_z_mm, **gaps
        )
        return build_jobs.MachineType(machine.id, chamber=chamber)
    plate = nesting.Plate(machine.build_x_mm, machine.build_y_mm, **gaps)
    return build_jobs.MachineType(machine.id, plate=plate)


def _box(part):
    """The part's box and volume for chambers; (None, None) leaves it out (the engine says why)."""
    try:
        return packing3d.box_from_analysis(part.analysis or {})
    except nesting.PackingError:
        return None, None


def _part_height(workorder):
    analysis = workorder.production_id.bom_id.odm_quote_id.part_id.analysis or {}
    return float(analysis.get("orientation", {}).get("height_mm") or 0.0)


def _plate_layout(plate, machine):
    return {
        "kind": "plate",
        "width_mm": machine.build_x_mm,
        "depth_mm": machine.build_y_mm,
        "margin_mm": machine.plate_margin_mm,
        "placements": [
            {
                "workorder_id": placement.key,
                "copy": placement.copy,
                "x": round(placement.x, 3),
                "y": round(placement.y, 3),
                "rotation_deg": placement.rotation_deg,
                "outline": np.round(placement.outline, 3).tolist(),
            }
            for placement in plate.placements
        ],
    }


def _chamber_layout(chamber, machine):
    return {
        "kind": "chamber",
        "x_mm": machine.build_x_mm,
        "y_mm": machine.build_y_mm,
        "z_mm": machine.build_z_mm,
        "margin_mm": machine.plate_margin_mm,
        "placements": [
            {
                "workorder_id": placement.key,
                "copy": placement.copy,
                "position": [round(v, 3) for v in placement.position],
                "size": [round(v, 3) for v in placement.size],
            }
            for placement in chamber.placements
        ],
    }


def _plate_svg(layout, colours):
    """The plate seen from above (y up), one labelled polygon per copy."""
    width, depth, margin = layout["width_mm"], layout["depth_mm"], layout["margin_mm"]
    font = max(width, depth) / 40
    shapes = []
    for placement in layout["placements"]:
        colour, label = colours.get(placement["workorder_id"], ("#999999", ""))
        outline = np.asarray(placement["outline"], dtype=float)
        points = " ".join(f"{x:.2f},{depth - y:.2f}" for x, y in outline)
        centre_x, centre_y = outline.mean(axis=0)
        # The label fits across the part (a character is about 0.6 em wide).
        label_size = min(font, np.ptp(outline[:, 0]) / (0.6 * max(len(label), 1)))
        shapes.append(
            Markup(
                '<polygon points="{}" fill="{}" fill-opacity="0.7" stroke="#333" '
                'stroke-width="{}"><title>{} #{}</title></polygon>'
                '<text x="{:.2f}" y="{:.2f}" font-size="{:.2f}" text-anchor="middle" '
                'dominant-baseline="middle">{}</text>'
            ).format(
                points,
                colour,
                font / 10,
                label,
                placement["copy"] + 1,
                centre_x,
                depth - centre_y,
                label_size,
                label,
            )
        )
    frame = Markup(
        '<rect width="{w}" height="{d}" fill="#f4f4f4" stroke="#666" stroke-width="{s}"/>'
        '<rect x="{m}" y="{m}" width="{uw}" height="{ud}" fill="none" stroke="#aaa" '
        'stroke-width="{s}" stroke-dasharray="{dash}"/>'
    ).format(
        w=width,
        d=depth,
        m=margin,
        uw=width - 2 * margin,
        ud=depth - 2 * margin,
        s=font / 10,
        dash=font / 2,
    )
    return _svg(width, depth, frame + Markup("").join(shapes))


def _chamber_svg(layout, colours):
    """The chamber from above (x, y) and from the front (x, z), one rectangle per copy each."""
    size = np.array([layout["x_mm"], layout["y_mm"], layout["z_mm"]], dtype=float)
    margin = layout["margin_mm"]
    gap = size[0] / 10
    font = max(size) / 40
    panels = []
    # Top view (y up) beside the front view (z up); boxes nearer the viewer are drawn last.
    views = (
        (0.0, 1, lambda placement: placement["position"][2]),
        (size[0] + gap, 2, lambda placement: -placement["position"][1]),
    )
    for offset, axis, drawing_order in views:
        height = size[axis]
        boxes = sorted(layout["placements"], key=drawing_order)
        panels.append(
            Markup(
                '<rect x="{}" y="0" width="{}" height="{}" fill="#f4f4f4" stroke="#666" '
                'stroke-width="{}"/>'
            ).format(offset, size[0], height, font / 10)
        )
        for placement in boxes:
            colour, label = colours.get(placement["workorder_id"], ("#999999", ""))
            x = offset + margin + placement["position"][0]
            low = margin + placement["position"][axis]
            width, tall = placement["size"][0], placement["size"][axis]
            panels.append(
                Markup(
                    '<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}" '
                    'fill-opacity="0.7" stroke="#333" stroke-width="{}"><title>{} #{}</title>'
                    "</rect>"
                ).format(
                    x,
                    height - low - tall,
                    width,
                    tall,
                    colour,
                    font / 10,
                    label,
                    placement["copy"] + 1,
                )
            )
    return _svg(2 * size[0] + gap, max(size[1], size[2]), Markup("").join(panels))


def _svg(width, height, content):
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {:.2f} {:.2f}" '
        'style="max-width: 100%; max-height: 480px;">{}</svg>'
    ).format(width, height, content)

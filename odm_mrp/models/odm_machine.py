from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Printers run unattended through nights and weekends; machining keeps workshop hours.
UNATTENDED_TECHNOLOGIES = ("fdm", "sla", "sls", "mjf")
# Build jobs nest footprints on the plates of the first and pack boxes in the chambers of the
# second.
PLATE_TECHNOLOGIES = ("fdm", "sla")
CHAMBER_TECHNOLOGIES = ("sls", "mjf")


class OdmMachine(models.Model):
    """One physical machine: a work center of its own, plus what it can make.

    Delegating to ``mrp.workcenter`` keeps Odoo's own planning, costing and calendars working on
    each machine, while the capability fields let the scheduler and the quote decide which
    machine can make which part.
    """

    _name = "odm.machine"
    _description = "Production Machine"
    _inherits = {"mrp.workcenter": "workcenter_id"}
    _order = "sequence, id"

    workcenter_id = fields.Many2one(
        "mrp.workcenter",
        required=True,
        ondelete="cascade",
        index=True,
        string="Underlying work center",
    )
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    technology = fields.Selection(related="process_id.technology", store=True)
    material_ids = fields.Many2many(
        "odm.material",
        string="Materials",
        domain="[('process_ids', 'in', process_id)]",
        help="Materials this machine is set up to run.",
    )
    manufacturer = fields.Char()
    model_name = fields.Char("Model")
    serial_number = fields.Char()
    build_x_mm = fields.Float("Build X (mm)", help="Usable build volume or machining travel.")
    build_y_mm = fields.Float("Build Y (mm)")
    build_z_mm = fields.Float("Build Z (mm)")
    plate_margin_mm = fields.Float(
        "Plate margin (mm)",
        default=5.0,
        help="Build jobs keep parts this far from the plate's or chamber's edges.",
    )
    part_spacing_mm = fields.Float(
        "Part spacing (mm)",
        default=3.0,
        help="Build jobs keep parts at least this far apart.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """An unattended machine plans on the 24/7 calendar unless one is given."""
        around_the_clock = self.env.ref("odm_mrp.resource_calendar_24_7", raise_if_not_found=False)
        for vals in vals_list:
            process = self.env["odm.process"].browse(vals.get("process_id"))
            if (
                around_the_clock
                and "resource_calendar_id" not in vals
                and process.technology in UNATTENDED_TECHNOLOGIES
            ):
                vals["resource_calendar_id"] = around_the_clock.id
        return super().create(vals_list)

    def unlink(self):
        """A machine and its work center are one thing: remove both, or neither."""
        workcenters = self.workcenter_id
        result = super().unlink()
        workcenters.unlink()
        return result

    @api.constrains("build_x_mm", "build_y_mm", "build_z_mm")
    def _check_build_volume(self):
        for machine in self:
            if min(machine.build_x_mm, machine.build_y_mm, machine.build_z_mm) <= 0:
                raise ValidationError(
                    self.env._("Machine %(name)s needs a positive build volume.", name=machine.name)
                )

    @api.constrains("plate_margin_mm", "part_spacing_mm", "build_x_mm", "build_y_mm", "build_z_mm")
    def _check_build_job_gaps(self):
        """Build jobs pack inside the margin: it must leave room, and gaps cannot be negative."""
        for machine in self:
            if min(machine.plate_margin_mm, machine.part_spacing_mm) < 0:
                raise ValidationError(
                    self.env._(
                        "Machine %(name)s: the plate margin and part spacing cannot be negative.",
                        name=machine.name,
                    )
                )
            if 2 * machine.plate_margin_mm >= min(machine._packing_envelope()):
                raise ValidationError(
                    self.env._(
                        "Machine %(name)s: a plate margin of %(margin)s mm leaves no room to "
                        "build on.",
                        name=machine.name,
                        margin=machine.plate_margin_mm,
                    )
                )

    @api.model
    def _for_part(self, part, process, material, check_size=True):
        """The machines that run the process and material and, with ``check_size``, whose build
        volume holds the part (turned any way: every sorted dimension fits the sorted envelope).
        """
        size = sorted((part.size_x_mm, part.size_y_mm, part.size_z_mm))
        return self.search([("process_id", "=", process.id)]).filtered(
            lambda machine: (
                material in machine.material_ids and (not check_size or machine._holds(size))
            )
        )

    def _holds(self, sorted_size):
        envelope = sorted((self.build_x_mm, self.build_y_mm, self.build_z_mm))
        return all(need <= room for need, room in zip(sorted_size, envelope, strict=True))

    def _packing_envelope(self):
        """The lengths build jobs pack within: the plate (x, y) or the whole chamber (x, y, z)."""
        if self.technology in CHAMBER_TECHNOLOGIES:
            return (self.build_x_mm, self.build_y_mm, self.build_z_mm)
        return (self.build_x_mm, self.build_y_mm)

    # ------------------------------------------------------------------ planning constraints
    def _odm_plan_blocker(self, material=None, quote=None):
        """Why the machine cannot take work now, in words ("" when it can); ``material`` is
        the odm.material the work runs in (default: the quote's), ``quote`` the odm.part.quote
        it was priced on (a part's work, not a build job's), if any.

        The planner and the promise leave a machine with a blocker out of the plan and say why.
        Here: an archived machine, a stop declared in Manufacturing (a maintenance or breakdown
        loss still open on its work center) and a material it is not set up for.
        odm_machine_link extends it with what the machine itself reports (offline, loaded
        material) and its nozzle against the one the part was quoted for.
        """
        self.ensure_one()
        material = material or (quote.material_id if quote else None)
        if not self.active:
            return self.env._("%(machine)s is archived", machine=self.name)
        if self.working_state == "blocked":
            stop = self.time_ids.filtered(lambda log: not log.date_end)[:1]
            return self.env._(
                "%(machine)s is stopped (%(reason)s)",
                machine=self.name,
                reason=stop.loss_id.name or self.env._("blocked"),
            )
        if material and material not in self.material_ids:
            return self.env._(
                "%(machine)s does not run %(material)s", machine=self.name, material=material.name
            )
        return ""

    def _odm_between_runs_minutes(self, part, copies):  # pylint: disable=unused-argument
        """Minutes ``copies`` of ``part`` hold the machine between the runs they need (0 here:
        one run); odm_machine_link adds the bed clearing between plates, so that the plan and
        the promised date count what the runs really take."""
        self.ensure_one()
        return 0.0

    def _odm_busy_until(self):
        """When the machine can start new work (naive UTC datetime), False for now.

        Nothing in odm_mrp holds a machine beyond its planned work; odm_machine_link adds a
        finished print whose bed waits to be cleared.
        """
        self.ensure_one()
        return False

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odm_engine.pricing.print_calibration import fit_machine

from ..models.odm_machine_calibration import CALIBRATED


class OdmMachineCalibrationWizard(models.TransientModel):
    """Each machine's print time and material factors fitted on its finished jobs, with their
    evidence, applied only when a manager ticks them."""

    _name = "odm.machine.calibration.wizard"
    _description = "Propose Calibration from Prints"

    machine_ids = fields.Many2many("odm.machine", string="Machines", readonly=True)
    line_ids = fields.One2many(
        "odm.machine.calibration.wizard.line", "wizard_id", string="Proposals"
    )
    unfitted = fields.Text(
        "Not enough prints", readonly=True, help="Machines and quantities nothing is proposed for."
    )
    job_ids = fields.Many2many(
        "odm.machine.job",
        string="Prints used",
        compute="_compute_job_ids",
        help="The finished jobs the proposals were fitted on, with their expected and real "
        "figures.",
    )

    @api.depends("line_ids.job_ids")
    def _compute_job_ids(self):
        for wizard in self:
            wizard.job_ids = wizard.line_ids.job_ids.sorted(
                lambda job: (job.machine_id.name or "", job.id)
            )

    def _propose(self):
        """One line per machine and quantity with enough prints; the others are said why."""
        self.ensure_one()
        Line = self.env["odm.machine.calibration.wizard.line"]
        labels = dict(Line._fields["quantity"].selection)
        lines, unfitted = [], []
        for machine in self.machine_ids:
            jobs, finished = machine._odm_finished_jobs()
            fitted, reasons = fit_machine(finished)
            unfitted += [
                f"{machine.name} / {labels[quantity]}: {reason}"
                for quantity, reason in reasons.items()
            ]
            for quantity, fit in fitted.items():
                lines.append(
                    {
                        "wizard_id": self.id,
                        "machine_id": machine.id,
                        "quantity": quantity,
                        "current_factor": machine[f"{CALIBRATED[quantity]}_factor"],
                        **Line._evidence_values(fit.correction),
                        "band_pct": (fit.calibration().apply(1.0)[2] - 1) * 100,
                        "job_ids": [fields.Command.set(jobs.browse(fit.jobs).ids)],
                    }
                )
        Line.create(lines)
        self.unfitted = "\n".join(unfitted)

    def action_apply(self):
        """Writes the ticked factors and tells each machine what changed and why."""
        if not self.env.user.has_group("odm_machine_link.group_odm_machine_manager"):
            raise AccessError(self.env._("Only machine managers apply a calibration."))
        chosen = self.line_ids.filtered("apply")
        if not chosen:
            raise UserError(self.env._("Tick the factors to apply."))
        chosen._apply()
        for machine in chosen.machine_id:
            changes = Markup("").join(
                Markup("<li>%s</li>") % line._sentence()
                for line in chosen.filtered(lambda item, m=machine: item.machine_id == m)
            )
            machine.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (self.env._("Calibrated from this machine's prints:"), changes)
            )
        return {"type": "ir.actions.act_window_close"}

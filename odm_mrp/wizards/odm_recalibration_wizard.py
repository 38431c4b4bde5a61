from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from odm_engine.pricing.actuals import ActualsError, fit_correction, parameter_rules, pools, propose


class OdmRecalibrationWizard(models.TransientModel):
    """Quoting parameters recalibrated on finished orders, applied only when the user ticks them.

    Each pool of orders (a process, or a process and material for material parameters) gets one
    correction per measure; its parameters are proposed so that the same part quoted again moves
    by that correction.
    """

    _name = "odm.recalibration.wizard"
    _description = "Propose Recalibration"

    line_ids = fields.One2many("odm.recalibration.wizard.line", "wizard_id", string="Proposals")
    order_count = fields.Integer("Finished orders", readonly=True)
    unfitted = fields.Text(
        "Not enough data", readonly=True, help="Pools of orders too small to propose anything."
    )

    def _propose(self, rows):
        """Fills the proposals from report rows (``odm.quote.actual``)."""
        self.ensure_one()
        Line = self.env["odm.recalibration.wizard.line"]
        measures = dict(Line._fields["measure"].selection)
        lines, unfitted = [], []
        for (measure, process_id, material_id), pairs in pools(rows._observations()).items():
            process = self.env["odm.process"].browse(process_id)
            material = self.env["odm.material"].browse(material_id)
            scope = " / ".join([process.name, *material.mapped("name"), measures[measure]])
            try:
                correction = fit_correction(pairs)
            except ActualsError as error:
                unfitted.append(f"{scope}: {error}")
                continue
            current = self._current_values(process, material, measure)
            for proposal in propose(measure, process.technology, correction, current):
                lines.append(
                    {
                        "wizard_id": self.id,
                        "process_id": process.id,
                        "material_id": material.id,
                        "measure": measure,
                        "parameter": proposal.rule.name,
                        "parameter_label": self._label(process, material, proposal.rule.name),
                        "current_value": proposal.current,
                        "proposed_value": proposal.proposed,
                        **Line._evidence_values(correction),
                    }
                )
        Line.create(lines)
        self.write({"order_count": len(rows), "unfitted": "\n".join(unfitted)})

    @staticmethod
    def _current_values(process, material, measure):
        values = {line.key: line.value for line in process.parameter_ids}
        for rule in parameter_rules(measure, process.technology):
            if rule.owner == "material":
                values[rule.name] = material[rule.name]
        return values

    @staticmethod
    def _label(process, material, name):
        if material:
            return material._fields[name].string
        line = process.parameter_ids.filtered(lambda item: item.key == name)
        return f"{line.label} ({line.unit})" if line.unit else line.label

    def _change_sentence(self, line):
        """One applied proposal, for the process's chatter."""
        material = f" ({line.material_id.name})" if line.material_id else ""
        old, new = f"{line.current_value:g}", f"{line.proposed_value:g}"
        return self.env._(
            "%(parameter)s%(material)s: %(old)s → %(new)s (%(measure)s: actual "
            "%(factor).2f × quoted over %(samples)s orders, median error %(before).0f %% "
            "→ %(after).0f %%)",
            parameter=line.parameter_label,
            material=material,
            old=old,
            new=new,
            measure=dict(line._fields["measure"].selection)[line.measure].lower(),
            factor=line.factor,
            samples=line.samples,
            before=line.error_before_pct,
            after=line.error_after_pct,
        )

    def action_apply(self):
        """Writes the ticked proposals and tells each process what changed and why."""
        chosen = self.line_ids.filtered("apply")
        if not chosen:
            raise UserError(self.env._("Tick the proposals to apply."))
        chosen._apply()
        for process in chosen.process_id:
            changes = Markup("").join(
                Markup("<li>%s</li>") % self._change_sentence(line)
                for line in chosen.filtered(lambda item, proc=process: item.process_id == proc)
            )
            process.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (
                    self.env._(
                        "Quoting parameters recalibrated on finished orders (quote vs actual):"
                    ),
                    changes,
                )
            )
        return {"type": "ir.actions.act_window_close"}
